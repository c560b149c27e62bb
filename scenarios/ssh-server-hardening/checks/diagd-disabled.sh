#!/bin/sh
# Objective "disable-diagd": passes when nothing listens on the diagnostics port any more and the
# service will not come back at the next start. Runs as root on srv01.
port=$(cat /var/lib/cyrop/diag-port)
if ss -Hltn "sport = :$port" | grep -q .; then
  echo "something still listens on tcp/$port"
  exit 1
fi
enabled=no
if [ -x /etc/init.d/vendor-diagd ] && [ -f /opt/vendor/diagd.py ] && [ -r /etc/default/vendor-diagd ]; then
  enabled=$(. /etc/default/vendor-diagd; echo "${ENABLED:-no}")
fi
if [ "$enabled" = yes ]; then
  echo "vendor-diagd is stopped but still enabled at boot (/etc/default/vendor-diagd)"
  exit 1
fi
echo "vendor-diagd is stopped and disabled"
