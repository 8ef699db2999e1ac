#!/usr/bin/env bash
# Makes the broker's TLS material for docker compose, once (a second run changes nothing):
#   $TLS_DIR/kafka.p12          the broker's key and certificate (PKCS12, $KEYSTORE_PASSWORD),
#                               for the names the clients use: kafka, localhost, 127.0.0.1
#   $TLS_DIR/ca.crt, $CA_DIR/ca.crt
#                               the certificate of the CA that signed it (PEM): the services
#                               mount $CA_DIR (that file only) to verify the broker
#   $TLS_DIR/admin.properties   a client configuration for the operator's Kafka tools inside
#                               the kafka container (the super user `admin`, SASL PLAIN over
#                               TLS; deploy/README.md), written again on every run so a new
#                               $ADMIN_PASSWORD takes effect
# The CA's own key is thrown away once it has signed: nothing can be signed with it later.
# To renew (or after a leak): `docker compose down`, delete the volumes kafka-tls and
# kafka-ca, `docker compose up -d` (the services trust the new CA on their restart).
# Runs in the apache/kafka image (keytool from its JRE) as root, and leaves the keystore
# readable by the broker's user only.
set -euo pipefail

: "${KEYSTORE_PASSWORD:?set KEYSTORE_PASSWORD (TUOPIN_KAFKA_TLS_PASSWORD)}"
: "${ADMIN_PASSWORD:?set ADMIN_PASSWORD (TUOPIN_KAFKA_ADMIN_PASSWORD)}"
TLS_DIR="${TLS_DIR:-/tls}"
CA_DIR="${CA_DIR:-/ca}"
BROKER_UID="${BROKER_UID:-1000}"  # appuser in apache/kafka
KEYTOOL="${KEYTOOL:-keytool}"
NAMES="${NAMES:-dns:kafka,dns:localhost,ip:127.0.0.1}"
DAYS="${DAYS:-825}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$TLS_DIR" "$CA_DIR"
cat > "$work/admin.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="$ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS_DIR/ca.crt
EOF
install -m 0400 "$work/admin.properties" "$TLS_DIR/admin.properties"
if [[ "$(id -u)" == 0 ]]; then
    chown "$BROKER_UID" "$TLS_DIR/admin.properties"
fi

if [[ -s "$TLS_DIR/kafka.p12" && -s "$TLS_DIR/ca.crt" && -s "$CA_DIR/ca.crt" ]]; then
    echo "TLS material already in $TLS_DIR: kept"
    exit 0
fi
ca_pass="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# The CA: a fresh key pair that exists only for this run.
"$KEYTOOL" -genkeypair -alias ca -keyalg EC -groupname secp256r1 -validity "$DAYS" \
    -dname "CN=Tuopin Kafka CA" -ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign \
    -keystore "$work/ca.p12" -storetype PKCS12 -storepass "$ca_pass" -noprompt
"$KEYTOOL" -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$ca_pass" \
    -file "$work/ca.crt"

# The broker's key pair, its certificate signed by the CA, and the chain in its keystore.
"$KEYTOOL" -genkeypair -alias kafka -keyalg EC -groupname secp256r1 -validity "$DAYS" \
    -dname "CN=kafka" -keystore "$work/kafka.p12" -storetype PKCS12 \
    -storepass "$KEYSTORE_PASSWORD" -noprompt
"$KEYTOOL" -certreq -alias kafka -keystore "$work/kafka.p12" -storepass "$KEYSTORE_PASSWORD" \
    -file "$work/kafka.csr"
"$KEYTOOL" -gencert -alias ca -keystore "$work/ca.p12" -storepass "$ca_pass" \
    -infile "$work/kafka.csr" -outfile "$work/kafka.crt" -rfc -validity "$DAYS" \
    -ext "san=$NAMES" -ext ku:c=digitalSignature,keyAgreement -ext eku=serverAuth,clientAuth
"$KEYTOOL" -importcert -alias ca -file "$work/ca.crt" -keystore "$work/kafka.p12" \
    -storepass "$KEYSTORE_PASSWORD" -noprompt
"$KEYTOOL" -importcert -alias kafka -file "$work/kafka.crt" -keystore "$work/kafka.p12" \
    -storepass "$KEYSTORE_PASSWORD" -noprompt

install -m 0400 "$work/kafka.p12" "$TLS_DIR/kafka.p12"
install -m 0444 "$work/ca.crt" "$TLS_DIR/ca.crt"
install -m 0444 "$work/ca.crt" "$CA_DIR/ca.crt"
if [[ "$(id -u)" == 0 ]]; then
    chown "$BROKER_UID" "$TLS_DIR/kafka.p12"
fi
echo "TLS material made in $TLS_DIR (CA certificate also in $CA_DIR)"
