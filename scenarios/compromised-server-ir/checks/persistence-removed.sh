#!/bin/sh
# Objective "remove-persistence": passes when no cron entry starts the dropper any more, the
# dropper is gone, and the legitimate app-cleanup job is still there. Runs as root on app01.
drop=/var/tmp/.font-unix
if grep -rqs -e 'font-unix' -e 'updater\.sh' /etc/crontab /etc/cron.d /etc/cron.hourly \
  /etc/cron.daily /etc/cron.weekly /etc/cron.monthly /var/spool/cron; then
  echo "a cron entry still starts the dropper"
  exit 1
fi
if [ -e "$drop/updater.sh" ]; then
  echo "the dropper $drop/updater.sh is still on disk"
  exit 1
fi
if ! grep -qs 'find /srv/www/tmp' /etc/cron.d/app-cleanup; then
  echo "the legitimate job /etc/cron.d/app-cleanup is gone too; restore it"
  exit 1
fi
echo "the dropper and its cron entry are gone"
