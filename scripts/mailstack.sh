#!/usr/bin/env bash
# A real mail stack on loopback for tests and demos: Postfix (SMTP) delivering
# over LMTP into Dovecot (IMAP), all state under one folder, no systemd.
#
#   mailstack.sh start DIR [BASE]   install what is missing, configure, start
#   mailstack.sh stop  DIR          stop both servers started from DIR
#   mailstack.sh reset DIR [BASE]   stop, delete DIR (all mail in it), start afresh
#
# supportbot's own copy of the recipe in shared/mailstack (DESIGN.md section 7).
# Besides printing the settings, start writes them to DIR/env, where the test
# and demo scripts source them.
#
# Ports are BASE plus: 143 IMAP, 993 IMAPS, 25 SMTP (no auth, for injecting
# customer mail), 587 submission (STARTTLS + AUTH PLAIN/LOGIN), 588 the same
# but one second slow to accept each message (for the crash test), 24 LMTP,
# 12 Dovecot auth for Postfix SASL, 80 the OAuth2 token check (HTTP). BASE
# defaults to 10000. Besides passwords, IMAP and submission take OAuth2 bearer
# tokens (XOAUTH2, OAUTHBEARER): a line "TOKEN ADDRESS" in DIR/tokens makes
# TOKEN valid for ADDRESS (scripts/oauth2-tokeninfo.py checks them for Dovecot).
# Like Gmail, the server files a copy of what each account submits in its
# Sent folder; Dovecot allows 50 connections per user and address.
# Mailboxes (password "secret"): support@example.test, klient@example.test,
# klient2@example.test, catchall@example.test. Mail to any other address @example.test
# is refused at RCPT time (550 User unknown); every address @customers.example.test is delivered to catchall, so a
# test can use as many distinct customers as it likes.
# Needs root (apt-get, postfix). Prints the settings as shell assignments.
set -euo pipefail

cmd=${1:-}; dir=${2:-}; base=${3:-10000}
[ -n "$cmd" ] && [ -n "$dir" ] || {
  echo "usage: $0 start|stop|reset|postfix-stop|postfix-start|postfix-flush|dovecot-restart DIR [BASE] | doveadm DIR ARGS..." >&2; exit 2
}

stop() {
  if [ -f "$dir/postfix/main.cf" ]; then postfix -c "$dir/postfix" stop >/dev/null 2>&1 || true; fi
  stop_master "$dir/spool/pid/master.pid"
  stop_master "$dir/run/master.pid"
  stop_master "$dir/tokeninfo.pid"
}

start_tokeninfo() {
  rm -f "$dir/tokeninfo.pid"
  setsid python3 "$(dirname "$0")/oauth2-tokeninfo.py" $((base + 80)) "$dir/tokens" \
    </dev/null >>"$dir/log/tokeninfo.log" 2>&1 &
  echo $! > "$dir/tokeninfo.pid"
  wait_port $((base + 80))
}

# Daemons must not hold on to our stdout/stderr, or whoever reads them waits forever.
start_dovecot() {
  # A Dovecot that had to be killed leaves its sockets behind, and a new one refuses to start.
  [ -d "$dir/run" ] && find "$dir/run" -type s -delete
  rm -f "$dir/run/master.pid"
  dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/log/dovecot.stderr" 2>&1
}

start_postfix() {
  setsid postfix -c "$dir/postfix" start-fg >>"$dir/log/postfix.log" 2>&1 < /dev/null &
  wait_port $((base + 25)); wait_port $((base + 587)); wait_port $((base + 588))
}

# Stops the daemon whose master writes PIDFILE, and waits until it is gone.
stop_master() {
  [ -f "$1" ] || return 0
  local pid; pid=$(tr -d ' ' < "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  # Still there after 10 s: the daemon and whatever of its children hold on.
  pkill -9 -P "$pid" 2>/dev/null || true
  kill -9 "$pid" 2>/dev/null || true
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "mailstack: nothing listens on 127.0.0.1:$1; see $dir/log" >&2; return 1
}

install_missing() {
  local need=()
  command -v dovecot >/dev/null || need+=(dovecot-imapd)
  [ -x /usr/lib/dovecot/lmtp ] || need+=(dovecot-lmtpd)
  command -v postfix >/dev/null || need+=(postfix)
  command -v swaks >/dev/null || need+=(swaks)
  command -v openssl >/dev/null || need+=(openssl)
  command -v python3 >/dev/null || need+=(python3)  # the OAuth2 token check
  command -v curl >/dev/null || need+=(curl)
  [ ${#need[@]} -eq 0 ] && return 0
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
}

start() {
  install_missing
  stop
  local port
  for port in $((base + 12)) $((base + 24)) $((base + 25)) $((base + 80)) $((base + 143)) $((base + 587)) $((base + 588)) \
      $((base + 993)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "mailstack: port $port is already in use, perhaps by a mail stack started from another folder;" \
           "stop that one (mailstack.sh stop ITS-DIR) or pick another BASE" >&2
      exit 1
    fi
  done
  mkdir -p "$dir"/{run,mail,log,spool/data,postfix}
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"
  # Dovecot and Postfix run as their own users: every parent must let them through.
  local p=$dir perms
  while [ "$p" != / ]; do
    p=$(dirname "$p"); perms=$(stat -c %A "$p")
    case "${perms:9:1}" in x|t) ;; *)
      echo "mailstack: $p cannot be traversed by other users; chmod o+x it or pick another DIR" >&2; exit 1 ;;
    esac
  done
  [ -f "$dir/cert.pem" ] || openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
      -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
      -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  local hash; hash=$(doveadm pw -s SHA512-CRYPT -p secret)
  : > "$dir/users"
  for u in support klient klient2 catchall; do echo "$u@example.test:$hash:8:8::" >> "$dir/users"; done
  chown -R mail:mail "$dir/mail"

  cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/run
log_path = $dir/log/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = yes
ssl_cert = <$dir/cert.pem
ssl_key = <$dir/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login oauthbearer xoauth2
mail_location = maildir:~/Maildir
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 8
first_valid_gid = 8
imap_capability = +MOVE
# The tests run side by side and each opens its own connections; the default
# of 10 per user and address is plenty for the bot (it needs 2) but not for them.
protocol imap {
  mail_max_userip_connections = 50
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=SHA512-CRYPT $dir/users
}
passdb {
  driver = oauth2
  mechanisms = oauthbearer xoauth2
  args = $dir/dovecot-oauth2.conf.ext
}
userdb {
  driver = passwd-file
  args = $dir/users
  default_fields = home=$dir/mail/%d/%n
}
service imap-login {
  chroot =
  inet_listener imap {
    port = $((base + 143))
  }
  inet_listener imaps {
    port = $((base + 993))
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $((base + 24))
  }
}
service auth {
  inet_listener {
    address = 127.0.0.1
    port = $((base + 12))
  }
}
service anvil {
  chroot =
  # No auth penalty (up to 15 s before each login after failures from an
  # address): the tests refuse logins on purpose, and the penalty would reach
  # the tests beside them. Without this socket the auth process has none.
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
protocol lmtp {
  postmaster_address = postmaster@example.test
}
recipient_delimiter = +
lmtp_save_to_detail_mailbox = yes
lda_mailbox_autocreate = yes
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
CONF
  cat > "$dir/dovecot-oauth2.conf.ext" <<CONF
tokeninfo_url = http://127.0.0.1:$((base + 80))/tokeninfo?access_token=
username_attribute = email
CONF
  touch "$dir/tokens"
  echo "$base" > "$dir/base"
  start_tokeninfo
  start_dovecot

  sed "s|^smtp      inet.*smtpd\$|127.0.0.1:$((base + 25)) inet n - n - - smtpd|" \
      /usr/share/postfix/master.cf.dist > "$dir/postfix/master.cf"
  submission() { # port, extra smtpd options
    cat <<CONF
127.0.0.1:$1 inet n - n - - smtpd
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=check_sasl_access,texthash:$dir/postfix/sent_copies${2:-}
CONF
  }
  submission $((base + 587)) >> "$dir/postfix/master.cf"
  # The same, but it takes a second before accepting each message: the crash
  # test kills the bot while a reply is in the server's hands.
  submission $((base + 588)) $'\n  -o smtpd_end_of_data_restrictions=sleep,1' >> "$dir/postfix/master.cf"
  cat > "$dir/postfix/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/spool
data_directory = $dir/spool/data
mail_owner = postfix
myhostname = mx.example.test
mydomain = example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:$dir/postfix/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:$((base + 24))
virtual_alias_domains = customers.example.test
virtual_alias_maps = regexp:$dir/postfix/virtual
smtpd_relay_restrictions = permit_mynetworks, reject
smtputf8_enable = yes
message_size_limit = 52428800
maillog_file = /dev/stdout
smtpd_tls_cert_file = $dir/cert.pem
smtpd_tls_key_file = $dir/key.pem
smtpd_tls_security_level = may
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$((base + 12))
recipient_delimiter = +
CONF
  printf '/@customers\\.example\\.test$/ catchall@example.test\n' > "$dir/postfix/virtual"
  # Unknown users @example.test are refused at RCPT time (550), as a real server does.
  for u in support klient klient2 catchall; do echo "$u@example.test OK"; done > "$dir/postfix/vmailbox"
  # Like Gmail or Microsoft 365, the server files a copy of what each account
  # submits in its Sent folder (user+Sent is delivered to the folder Sent).
  for u in support klient klient2 catchall; do echo "$u@example.test BCC $u+Sent@example.test"; done \
    > "$dir/postfix/sent_copies"
  chown -R postfix "$dir/spool/data"
  start_postfix
  wait_port $((base + 143)); wait_port $((base + 993))
  # Create every INBOX now: created later by the first delivery racing the first
  # IMAP login, a maildir INBOX can get a second UIDVALIDITY.
  for u in support klient klient2 catchall; do
    doveadm -c "$dir/dovecot.conf" mailbox status -u "$u@example.test" uidvalidity INBOX >/dev/null
  done

  cat <<ENV | tee "$dir/env"
MAILSTACK_DIR=$dir
MAILSTACK_IMAP=imap://127.0.0.1:$((base + 143))
MAILSTACK_IMAPS=imaps://127.0.0.1:$((base + 993))
MAILSTACK_SMTP=smtp://127.0.0.1:$((base + 25))
MAILSTACK_SUBMISSION=smtp://127.0.0.1:$((base + 587))
MAILSTACK_SLOW_SUBMISSION=smtp://127.0.0.1:$((base + 588))
MAILSTACK_CA=$dir/cert.pem
MAILSTACK_PASSWORD=secret
ENV
}

# For the fault tests: one daemon down and up again, mail kept.
saved_base() { base=$(cat "$dir/base"); }

case "$cmd" in
  start) start ;;
  stop) stop ;;
  postfix-stop) postfix -c "$dir/postfix" stop >/dev/null 2>&1 || true; stop_master "$dir/spool/pid/master.pid" ;;
  postfix-start) saved_base; start_postfix ;;
  # Deliver now what Postfix deferred (e.g. while Dovecot was down), instead of in minutes.
  postfix-flush) postqueue -c "$dir/postfix" -f ;;
  dovecot-restart)
    # Abruptly, as after a crash: every IMAP connection breaks at once. (A
    # graceful stop lets open connections serve on for up to 10 seconds.)
    saved_base; pid=$(cat "$dir/run/master.pid")
    pkill -9 -P "$pid" || true; kill -9 "$pid" || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    start_dovecot; wait_port $((base + 993)) ;;
  # Server-side changes tests need (e.g. a huge UIDNEXT): doveadm on this stack.
  doveadm) shift 2; exec doveadm -c "$dir/dovecot.conf" "$@" ;;
  reset)
    stop
    # Only ever delete a folder this script made (or an empty one).
    if [ -e "$dir" ] && [ ! -f "$dir/dovecot.conf" ] && [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
      echo "mailstack: $dir is not a mail stack folder; not deleting it" >&2; exit 1
    fi
    rm -rf "$dir"; start ;;
  *) echo "usage: $0 start|stop|reset|postfix-stop|postfix-start|postfix-flush|dovecot-restart DIR [BASE] | doveadm DIR ARGS..." >&2; exit 2 ;;
esac
