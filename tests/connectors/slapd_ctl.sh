#!/usr/bin/env bash
# Starts or stops a private OpenLDAP slapd for the ctest fixture `slapd` (the ldap connector's
# tests and the directory offboarding examples) and for scripts/quickstart.sh's offboarding
# everywhere (which stops it in its cleanup trap). Never the system instance: its own cn=config
# (made with slapadd -n0 into STATE_DIR/slapd.d), its own mdb database, 127.0.0.1 only.
#
#   slapd_ctl.sh start STATE_DIR   free ports for ldap:// (StartTLS too) and ldaps://, written to
#                                  STATE_DIR/port and STATE_DIR/tls_port; a fresh CA
#                                  (STATE_DIR/ca.pem) with a server certificate for 127.0.0.1 and
#                                  localhost, and an unrelated CA (STATE_DIR/wrong_ca.pem); the
#                                  pid in STATE_DIR/slapd.pid. Waits (bounded, 20 s) until slapd
#                                  accepts connections.
#   slapd_ctl.sh stop STATE_DIR    TERM, then KILL after 5 s; removes STATE_DIR.
#
# The directory: suffix dc=example,dc=com; rootdn cn=admin,dc=example,dc=com with the password
# in STATE_DIR/admin_password (a file, as a playbook's ${file:..} reads it); ou=people, ou=groups,
# ou=former; a default password policy (ou=policies: lockout on, so a pwdAccountLockedTime refuses
# the bind); cn=reader,dc=example,dc=com (password "reader-password") may read everything and
# write nothing, and has a size limit of 5 that the paged results control lifts (so a search
# that does not page fails past 5 entries). Schemas core, cosine, inetorgperson, nis, and
# a small Active Directory-like schema with AD's own OIDs (user, group, securityPrincipal,
# userAccountControl, unicodePwd, sAMAccountName, groupType; OpenLDAP's msuser.ldif is not used:
# its sAMAccountName has no matching rule, and its `user` requires what only AD fills in); the ppolicy overlay (a module
# in Debian 12's slapd 2.5, its schema built in).
set -euo pipefail

cmd="${1:?start|stop}"
state="${2:?state directory}"
admin_password="tenure-slapd-admin-pw-7Qx"
modules=/usr/lib/ldap
schemas=/etc/ldap/schema

free_port() {  # a port nothing listens on (slapd fails to start if another process takes it first)
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}

make_certs() {
  local d="$state/tls"
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=tenure test CA" \
    -keyout "$d/ca.key" -out "$state/ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=unrelated CA" \
    -keyout "$d/wrong_ca.key" -out "$state/wrong_ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$state/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
    -extfile "$d/ext.cnf" -out "$d/server.pem" 2>/dev/null
  chmod 600 "$d"/*.key
}

config_ldif() {
  cat <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: $state/slapd.pid
olcTLSCACertificateFile: $state/ca.pem
olcTLSCertificateFile: $state/tls/server.pem
olcTLSCertificateKeyFile: $state/tls/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $modules
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$schemas/core.ldif

include: file://$schemas/cosine.ldif

include: file://$schemas/inetorgperson.ldif

include: file://$schemas/nis.ldif

dn: cn=adlike,cn=schema,cn=config
objectClass: olcSchemaConfig
cn: adlike
olcAttributeTypes: ( 1.2.840.113556.1.4.8 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.90 NAME 'unicodePwd' SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
olcAttributeTypes: ( 1.2.840.113556.1.4.750 NAME 'groupType' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
olcObjectClasses: ( 1.2.840.113556.1.5.6 NAME 'securityPrincipal' SUP top AUXILIARY MAY ( sAMAccountName ) )
olcObjectClasses: ( 1.2.840.113556.1.5.9 NAME 'user' SUP organizationalPerson STRUCTURAL MAY ( userAccountControl $ unicodePwd $ givenName $ displayName $ mail $ sAMAccountName ) )
olcObjectClasses: ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL MUST ( cn ) MAY ( member $ groupType $ sAMAccountName $ description ) )

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcDbDirectory: $state/db
olcSuffix: dc=example,dc=com
olcRootDN: cn=admin,dc=example,dc=com
olcRootPW: $admin_password
olcDbMaxSize: 67108864
olcDbIndex: objectClass eq
olcDbIndex: uid,cn,member,uniqueMember,memberUid eq
olcLimits: {0}dn.exact="cn=reader,dc=example,dc=com" size.soft=5 size.hard=5 size.prtotal=unlimited
olcAccess: {0}to attrs=userPassword,unicodePwd by self write by anonymous auth by * none
olcAccess: {1}to * by * read

dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {0}ppolicy
olcPPolicyDefault: cn=default,ou=policies,dc=example,dc=com
olcPPolicyUseLockout: TRUE
LDIF
}

data_ldif() {
  cat <<LDIF
dn: dc=example,dc=com
objectClass: top
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: ou=former,dc=example,dc=com
objectClass: organizationalUnit
ou: former

dn: ou=policies,dc=example,dc=com
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,dc=example,dc=com
objectClass: top
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 0

dn: cn=reader,dc=example,dc=com
objectClass: person
cn: reader
sn: reader
userPassword: reader-password
LDIF
}

stop() {
  local pidfile="$state/slapd.pid.ctl"
  if [ -f "$pidfile" ]; then
    local pid; pid="$(cat "$pidfile")"
    if kill -TERM "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  case "$state" in /|"") ;; *) rm -rf "$state" ;; esac
}

case "$cmd" in
  start)
    command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] || {
      echo "slapd is not installed (run scripts/setup.sh --quickstart, or --test)" >&2; exit 1; }
    export PATH="$PATH:/usr/sbin"
    stop
    mkdir -p "$state/slapd.d" "$state/db"
    make_certs
    config_ldif >"$state/config.ldif"
    data_ldif >"$state/data.ldif"
    (umask 077; printf '%s' "$admin_password" >"$state/admin_password")   # ldapsearch -y wants it private
    slapadd -n0 -F "$state/slapd.d" -l "$state/config.ldif" >"$state/slapadd.log" 2>&1 || {
      echo "slapadd of cn=config failed:" >&2; cat "$state/slapadd.log" >&2; exit 1; }
    slapadd -n1 -F "$state/slapd.d" -l "$state/data.ldif" >>"$state/slapadd.log" 2>&1 || {
      echo "slapadd of the data failed:" >&2; cat "$state/slapadd.log" >&2; exit 1; }
    for attempt in 1 2 3 4 5; do
      port="$(free_port)"; tls_port="$(free_port)"
      [ "$port" != "$tls_port" ] || continue
      # -d 0: stay in the foreground (our pid is slapd's), log nothing but startup failures.
      slapd -d 0 -h "ldap://127.0.0.1:$port/ ldaps://127.0.0.1:$tls_port/" -F "$state/slapd.d" \
        </dev/null >"$state/slapd.log" 2>&1 &
      echo $! >"$state/slapd.pid.ctl"
      for _ in $(seq 1 200); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
          echo "$port" >"$state/port"; echo "$tls_port" >"$state/tls_port"
          echo "slapd: ldap://127.0.0.1:$port ldaps://127.0.0.1:$tls_port (pid $(cat "$state/slapd.pid.ctl"))"
          exit 0
        fi
        kill -0 "$(cat "$state/slapd.pid.ctl")" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$(cat "$state/slapd.pid.ctl")" 2>/dev/null || true
      echo "slapd attempt $attempt failed:" >&2; cat "$state/slapd.log" >&2
    done
    exit 1
    ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
