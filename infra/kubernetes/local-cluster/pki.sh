# shellcheck shell=bash
# Certificates and kubeconfigs of the local cluster, made once with openssl under $STATE/pki and
# $STATE/kubeconfigs (sourced by up.sh after env.sh). Nothing is made again when it exists.

# mkcert NAME CN O KIND [SAN]: a key and a certificate signed by the cluster CA.
# KIND is client or server; SAN is an openssl subjectAltName value for server certificates.
mkcert() {
  local name=$1 cn=$2 o=$3 kind=$4 san=${5:-} pki=$STATE/pki
  [ -s "$pki/$name.crt" ] && return 0
  local subj="/CN=$cn"
  [ -n "$o" ] && subj="/O=$o$subj"
  local ext=$pki/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [ "$kind" = server ]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl genrsa -out "$pki/$name.key" 2048 2>/dev/null
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$ext"
}

# mkkubeconfig NAME CERT: a self-contained kubeconfig (certificates inline) for the user of CERT.
mkkubeconfig() {
  local out=$1 cert=$2 pki=$STATE/pki
  [ -s "$out" ] && return 0
  # readable by root alone; the umask is the function's own (daemons started later need 022:
  # containerd under 077 makes every container's / 0700, so no non-root user runs anything)
  local umask_before
  umask_before=$(umask)
  umask 077
  cat >"$out.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: cyrop-local
  cluster:
    server: $API_SERVER
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $cert
  user:
    client-certificate-data: $(base64 -w0 "$pki/$cert.crt")
    client-key-data: $(base64 -w0 "$pki/$cert.key")
contexts:
- name: cyrop-local
  context: { cluster: cyrop-local, user: $cert }
current-context: cyrop-local
EOF
  umask "$umask_before"
  mv "$out.tmp" "$out"
}

make_pki() {
  local pki=$STATE/pki
  mkdir -p "$pki" "$STATE/kubeconfigs"
  chmod 700 "$pki"
  if [ ! -s "$pki/ca.crt" ]; then
    log "making the cluster's certificate authority and certificates (openssl)"
    openssl genrsa -out "$pki/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$pki/ca.key" -subj "/CN=cyrop-local-cluster-ca" -days 3650 -sha256 \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -out "$pki/ca.crt" 2>/dev/null
  fi
  [ -s "$pki/sa.key" ] || {
    openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  }
  local svc_ip=${SERVICE_CIDR%.*/*}.1
  mkcert apiserver kube-apiserver "" server \
    "IP:$NODE_ADDR,IP:127.0.0.1,IP:$svc_ip,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost"
  mkcert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters client
  mkcert admin cyrop-admin system:masters client
  mkcert kubelet "system:node:$NODE_NAME" system:nodes client
  mkcert controller-manager system:kube-controller-manager "" client
  mkcert scheduler system:kube-scheduler "" client
  mkcert kube-proxy system:kube-proxy "" client
  mkcert kube-router cyrop:kube-router "" client
  mkcert coredns cyrop:coredns "" client
  local c
  for c in kubelet controller-manager scheduler kube-proxy kube-router coredns; do
    mkkubeconfig "$STATE/kubeconfigs/$c.kubeconfig" "$c"
  done
  mkkubeconfig "$KUBECONFIG_ADMIN" admin
}
