#!/usr/bin/env bash
# Makes what cluster.tls needs: a self-signed CA for the cluster and, per node, a key store with the
# node's key and a certificate signed by that CA, plus one trust store (the CA certificate) that
# every node and the console use. PKCS12 files, EC P-256 keys, TLS 1.3 on the wire.
#
#   ABLATE_TLS_KEY_STORE_PASSWORD=... ABLATE_TLS_TRUST_STORE_PASSWORD=... \
#     ops/tls/make-certs.sh OUT_DIR NODE[=SAN] [NODE[=SAN]]...
#
# NODE names the files (OUT_DIR/NODE.p12); SAN lists the names and addresses clients reach it by
# (default dns:NODE), e.g. coordinator=dns:head.example.org,ip:10.0.0.5. The HTTPS API checks them;
# Artery authenticates by the CA alone (mutual authentication). An existing CA in OUT_DIR (ca.p12)
# is reused, so nodes can be added later. The CA's own key store uses $ABLATE_TLS_CA_PASSWORD
# (default: the key store password): keep ca.p12 off the nodes.
#
# Then, on each node: --set cluster.tls.enabled=on --set cluster.tls.key-store=OUT_DIR/NODE.p12
#   --set cluster.tls.trust-store=OUT_DIR/truststore.p12, with the two password variables set.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
(($# >= 2)) || { sed -n '2,16p' "$0" >&2; exit 2; }
out=$1; shift
: "${ABLATE_TLS_KEY_STORE_PASSWORD:?set ABLATE_TLS_KEY_STORE_PASSWORD (at least 6 characters)}"
: "${ABLATE_TLS_TRUST_STORE_PASSWORD:?set ABLATE_TLS_TRUST_STORE_PASSWORD (at least 6 characters)}"
ca_pass=${ABLATE_TLS_CA_PASSWORD:-$ABLATE_TLS_KEY_STORE_PASSWORD}
keytool=${KEYTOOL:-$(bash "$root/ops/java-home.sh")/bin/keytool}
[[ -x $keytool ]] || { echo "make-certs.sh: no keytool at $keytool (set KEYTOOL)" >&2; exit 2; }
mkdir -p "$out"
kt() { "$keytool" "$@" >"$out/.keytool.log" 2>&1 || { cat "$out/.keytool.log" >&2; exit 1; }; }

if [[ ! -f $out/ca.p12 ]]; then
  kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -dname "CN=ablate cluster CA" \
    -ext bc:c -ext KeyUsage=keyCertSign,cRLSign -validity 3650 -keystore "$out/ca.p12" -storetype PKCS12 -storepass "$ca_pass"
  echo "made the CA: $out/ca.p12 (keep it off the nodes)"
fi
kt -exportcert -alias ca -rfc -keystore "$out/ca.p12" -storepass "$ca_pass" -file "$out/ca.crt"
rm -f "$out/truststore.p12"
kt -importcert -noprompt -alias ablate-ca -file "$out/ca.crt" -keystore "$out/truststore.p12" -storetype PKCS12 \
  -storepass "$ABLATE_TLS_TRUST_STORE_PASSWORD"

for spec in "$@"; do
  node=${spec%%=*}
  san=dns:$node; [[ $spec == *=* ]] && san=${spec#*=}
  [[ $node =~ ^[A-Za-z0-9._-]+$ ]] || { echo "make-certs.sh: '$node' is not a plain node name" >&2; exit 2; }
  store=$out/$node.p12
  rm -f "$store" "$out/$node.csr" "$out/$node.crt"
  kt -genkeypair -alias node -keyalg EC -groupname secp256r1 -sigalg SHA256withECDSA -dname "CN=$node" -validity 825 \
    -keystore "$store" -storetype PKCS12 -storepass "$ABLATE_TLS_KEY_STORE_PASSWORD"
  kt -certreq -alias node -keystore "$store" -storepass "$ABLATE_TLS_KEY_STORE_PASSWORD" -file "$out/$node.csr"
  kt -gencert -alias ca -keystore "$out/ca.p12" -storepass "$ca_pass" -infile "$out/$node.csr" -outfile "$out/$node.crt" -rfc \
    -validity 825 -ext "SAN=$san" -ext KeyUsage=digitalSignature,keyAgreement -ext ExtendedKeyUsage=serverAuth,clientAuth
  kt -importcert -noprompt -alias ablate-ca -file "$out/ca.crt" -keystore "$store" -storepass "$ABLATE_TLS_KEY_STORE_PASSWORD"
  kt -importcert -alias node -file "$out/$node.crt" -keystore "$store" -storepass "$ABLATE_TLS_KEY_STORE_PASSWORD"
  rm -f "$out/$node.csr"
  echo "made $store ($san)"
done
rm -f "$out/.keytool.log"
echo "trust store for every node and the console: $out/truststore.p12"
