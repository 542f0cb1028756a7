#!/usr/bin/env bash
# Serving certificate for kuma-guard on clusters without cert-manager.
#
# Creates (or reuses) a CA and a serving certificate for the Service
# kuma-guard.kuma-guard.svc with openssl, stores the serving pair and ca.crt in the Secret
# kuma-guard-tls, and puts the CA into caBundle of every webhook of the
# ValidatingWebhookConfiguration kuma-guard. Run it after `kubectl apply -k deploy/`.
#
# Rotation: run it again with the same --out-dir. The CA found there is reused, so caBundle
# does not change and pods pick up the new serving pair from the Secret (no restart).
# With a new CA, the previous CA is kept in caBundle next to the new one, so serving
# certificates signed by either verify while kubelet updates the mounted Secret.
#
# --dry-run only writes the files (ca.crt, ca.key, tls.crt, tls.key) to --out-dir and
# never calls kubectl.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: deploy/gen-certs.sh [--dry-run] [--out-dir DIR] [--namespace NS] [--service NAME]
                           [--secret NAME] [--webhook NAME] [--days N] [--ca-days N]
  --dry-run        write the CA and serving certificate to --out-dir only (no kubectl)
  --out-dir DIR    where the files go; a CA already there is reused (default: a new temp dir)
  --namespace NS   namespace of the Service and Secret (default kuma-guard)
  --service NAME   Service name, gives the SANs NAME.NS.svc[.cluster.local] (default kuma-guard)
  --secret NAME    TLS Secret mounted by the Deployment (default kuma-guard-tls)
  --webhook NAME   ValidatingWebhookConfiguration to patch (default kuma-guard)
  --days N         serving certificate validity (default 365)
  --ca-days N      CA validity (default 3650)
USAGE
}

dry_run=false
out_dir=""
namespace=kuma-guard
service=kuma-guard
secret=kuma-guard-tls
webhook=kuma-guard
days=365
ca_days=3650

while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry_run=true ;;
    --out-dir) out_dir="${2:?--out-dir needs a value}"; shift ;;
    --namespace) namespace="${2:?--namespace needs a value}"; shift ;;
    --service) service="${2:?--service needs a value}"; shift ;;
    --secret) secret="${2:?--secret needs a value}"; shift ;;
    --webhook) webhook="${2:?--webhook needs a value}"; shift ;;
    --days) days="${2:?--days needs a value}"; shift ;;
    --ca-days) ca_days="${2:?--ca-days needs a value}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gen-certs.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done

command -v openssl >/dev/null || { echo "gen-certs.sh: openssl not found" >&2; exit 1; }
if [ "$dry_run" = false ]; then
  command -v kubectl >/dev/null || { echo "gen-certs.sh: kubectl not found" >&2; exit 1; }
fi

if [ -z "$out_dir" ]; then
  out_dir="$(mktemp -d)"
fi
mkdir -p "$out_dir"
umask 077

host="${service}.${namespace}.svc"

# --- CA (reused when present) ---------------------------------------------------------------
if [ -s "$out_dir/ca.crt" ] && [ -s "$out_dir/ca.key" ]; then
  echo "gen-certs.sh: reusing the CA in $out_dir" >&2
else
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
    -keyout "$out_dir/ca.key" -out "$out_dir/ca.crt" -days "$ca_days" \
    -subj "/CN=kuma-guard-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
fi

# --- serving certificate ---------------------------------------------------------------------
# The API server (Go) verifies the SAN only; the CN is informational.
cat >"$out_dir/tls.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:${host},DNS:${host}.cluster.local
EOF
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$out_dir/tls.key" -out "$out_dir/tls.csr" -subj "/CN=${host}" 2>/dev/null
openssl x509 -req -in "$out_dir/tls.csr" -CA "$out_dir/ca.crt" -CAkey "$out_dir/ca.key" \
  -CAcreateserial -out "$out_dir/tls.crt" -days "$days" -extfile "$out_dir/tls.ext" 2>/dev/null
rm -f "$out_dir/tls.csr" "$out_dir/tls.ext" "$out_dir/ca.srl"
openssl verify -CAfile "$out_dir/ca.crt" "$out_dir/tls.crt" >/dev/null

if [ "$dry_run" = true ]; then
  echo "$out_dir"
  exit 0
fi

# --- Secret ----------------------------------------------------------------------------------
kubectl create secret generic "$secret" --namespace "$namespace" --type kubernetes.io/tls \
  --from-file=tls.crt="$out_dir/tls.crt" --from-file=tls.key="$out_dir/tls.key" \
  --from-file=ca.crt="$out_dir/ca.crt" \
  --dry-run=client -o yaml | kubectl apply -f -

# --- caBundle --------------------------------------------------------------------------------
# New CA first, plus the CA currently installed if it differs (kept for the rotation window).
bundle="$out_dir/ca-bundle.crt"
cp "$out_dir/ca.crt" "$bundle"
previous="$(kubectl get validatingwebhookconfiguration "$webhook" \
  -o jsonpath='{.webhooks[0].clientConfig.caBundle}' 2>/dev/null || true)"
if [ -n "$previous" ]; then
  printf '%s' "$previous" | base64 -d 2>/dev/null \
    | awk '/-----BEGIN CERTIFICATE-----/{n++} n==1' >"$out_dir/previous-ca.crt" || true
  if [ -s "$out_dir/previous-ca.crt" ] \
    && [ "$(openssl x509 -noout -fingerprint -sha256 -in "$out_dir/previous-ca.crt")" \
      != "$(openssl x509 -noout -fingerprint -sha256 -in "$out_dir/ca.crt")" ]; then
    cat "$out_dir/previous-ca.crt" >>"$bundle"
  fi
  rm -f "$out_dir/previous-ca.crt"
fi
ca_bundle="$(base64 <"$bundle" | tr -d '\n')"

names="$(kubectl get validatingwebhookconfiguration "$webhook" \
  -o jsonpath='{range .webhooks[*]}{.name}{"\n"}{end}')" || {
  echo "gen-certs.sh: ValidatingWebhookConfiguration $webhook not found: run kubectl apply -k deploy/ first" >&2
  exit 1
}
count="$(printf '%s\n' "$names" | grep -c . || true)"
patch="["
for ((i = 0; i < count; i++)); do
  if [ "$i" -gt 0 ]; then patch+=","; fi
  patch+="{\"op\":\"add\",\"path\":\"/webhooks/${i}/clientConfig/caBundle\",\"value\":\"${ca_bundle}\"}"
done
patch+="]"
kubectl patch validatingwebhookconfiguration "$webhook" --type json -p "$patch"

echo "gen-certs.sh: Secret ${namespace}/${secret} and caBundle of ${webhook} (${count} webhooks) updated; keys in ${out_dir}" >&2
