#!/usr/bin/env bash
# The demo: sets everything up, starts a local mail stack (Dovecot + Postfix
# on 127.0.0.1:10000+), drops six realistic mails into the support
# mailbox, runs supportbot once (first as a dry run, then for real, then again
# to show that nothing is answered twice) and prints the replies that arrived
# in the customers' mailboxes.
#
# The stack keeps running afterwards so you can look around; stop it with
#   scripts/mailstack.sh stop /tmp/supportbot-demo-stack
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
echo "== building supportbot"
swift build --product supportbot
bin=$(swift build --show-bin-path)/supportbot

stack=${SUPPORTBOT_DEMO_STACK:-/tmp/supportbot-demo-stack}
echo "== starting the local mail stack in $stack"
scripts/mailstack.sh reset "$stack" 10000 >/dev/null
set -a
# shellcheck disable=SC1091
source "$stack/env"
set +a

# The bot's configuration, as an admin would put it into a systemd unit.
export SUPPORTBOT_IMAP_URL="$MAILSTACK_IMAPS/INBOX"
export SUPPORTBOT_IMAP_USER=support@example.test
export SUPPORTBOT_IMAP_PASSWORD="$MAILSTACK_PASSWORD"
export SUPPORTBOT_SMTP_URL="$MAILSTACK_SUBMISSION"
export SUPPORTBOT_CA_FILE="$MAILSTACK_CA"
export SUPPORTBOT_STATE="$stack/supportbot.sqlite"
export SUPPORTBOT_CUSTOMERS=customers.example.csv
# The local stack files what support@ sends in its Sent folder, as Gmail and
# Microsoft 365 do: that settles any reply a crash interrupted.
export SUPPORTBOT_SENT_COPY=server

imap() { # user, mailbox path, [custom command]
  curl -sS --cacert "$MAILSTACK_CA" -u "$1:$MAILSTACK_PASSWORD" "$MAILSTACK_IMAPS/$2" ${3:+-X "$3"}
}
count() { imap "$1" "" 'STATUS INBOX (MESSAGES)' | sed -n 's/.*MESSAGES \([0-9]*\).*/\1/p'; }
wait_for() { # user, number of messages
  for _ in $(seq 1 100); do [ "$(count "$1")" -ge "$2" ] && return 0; sleep 0.1; done
  echo "demo: mail for $1 did not arrive; see $stack/log" >&2; return 1
}

echo "== six mails arrive in support@example.test"
for mail in scripts/demo-mails/*.eml; do
  sender=$(sed -n 's/^From:.*<\(.*\)>.*/\1/p' "$mail" | head -n1)
  swaks --silent 2 --server "${MAILSTACK_SMTP#smtp://}" --from "$sender" --to support@example.test --data "@$mail"
  echo "   $(basename "$mail")"
done
wait_for support@example.test 6

echo
echo "== supportbot run --once --dry-run   (decides and logs, changes nothing)"
"$bin" run --once --dry-run
echo
echo "== supportbot run --once"
"$bin" run --once
echo
echo "== supportbot run --once   (again: nothing is answered twice)"
"$bin" run --once

wait_for klient@example.test 1
wait_for klient2@example.test 1
wait_for catchall@example.test 1
echo
echo "== the replies in the customers' mailboxes"
replies=$(mktemp -d)
for user in klient@example.test klient2@example.test catchall@example.test; do
  for uid in $(imap "$user" INBOX "UID SEARCH ALL" | tr -d "\r" | sed -n "s/^\* SEARCH//p"); do
    file="$replies/${user%%@*}-$uid.eml"
    imap "$user" "INBOX/;UID=$uid" > "$file"
    echo
    "$bin" inspect "$file" | sed "1s|.*|== in the mailbox of $user:|"
  done
done
rm -rf "$replies"

echo
echo "== supportbot status"
"$bin" status
echo
echo "The mail stack is still running. Look around with any IMAP client at"
echo "$MAILSTACK_IMAPS (users support@ / klient@ / klient2@ / catchall@example.test,"
echo "password $MAILSTACK_PASSWORD), or stop it: scripts/mailstack.sh stop $stack"
