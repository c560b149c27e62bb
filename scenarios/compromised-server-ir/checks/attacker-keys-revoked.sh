#!/bin/sh
# Objective "revoke-attacker-keys": passes when the attacker's SSH key is in no authorized_keys
# file any more, while the operations team's key for root is kept. Runs as root on app01.
attacker='AAAAC3NzaC1lZDI1NTE5AAAAIEgjsV7rH+fYS1SdvXSjG3W0OXemahiNawtbNwjQitGl'
ops='AAAAC3NzaC1lZDI1NTE5AAAAIKoH5+c5moYr0U5Uc4wHoH+dvQNZFzSWsj5tdY4stH/U'
found=$(find /root /home /var/lib /etc/ssh -name 'authorized_keys*' -type f -exec grep -lF "$attacker" {} + 2>/dev/null)
if [ -n "$found" ]; then
  echo "the attacker's key is still in: $(echo $found)"
  exit 1
fi
if ! grep -qsF "$ops" /root/.ssh/authorized_keys; then
  echo "the operations team's key was removed from /root/.ssh/authorized_keys as well; put it back"
  exit 1
fi
echo "the attacker's key is revoked and the operations key is kept"
