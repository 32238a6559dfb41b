/*
 * prehashed: verify a signature over a digest the caller already has (Rekor hashedrekord signs
 * an artifact digest). node:crypto always hashes its input, so it cannot do this; OpenSSL's
 * EVP_PKEY_verify can. We link against the OpenSSL that the node binary bundles and exports, so
 * no system libcrypto is needed and the primitives match node:crypto's exactly.
 *
 * JS API:
 *   verifyDigest(spkiDer, digest, derSignature[, hash[, padding]]) -> boolean
 *     spkiDer, digest, derSignature: Uint8Array (Buffer is fine).
 *     hash: OpenSSL digest name ("sha256", ...). Optional for ECDSA (then any digest length is
 *       taken as is); required for RSA (it selects the DigestInfo prefix).
 *     padding: "pkcs1" (default for RSA) or "pss" (MGF1 with the same hash, any salt length).
 *   Returns false for any signature, key or digest that does not verify or does not parse;
 *   throws TypeError only for arguments of the wrong JS type.
 *   leafHashes(bodies) -> Uint8Array
 *     bodies: array of Uint8Array. Returns their RFC 6962 leaf hashes SHA-256(0x00 || body),
 *     32 bytes each, back to back in one new buffer (one allocation for a whole batch, where
 *     node:crypto makes a buffer per hash).
 *   tileNodes(hashes) -> Uint8Array
 *     hashes: Uint8Array of 1..256 tree hashes of 32 bytes (a tlog tile). Returns every complete
 *     node above them within the tile, RFC 6962 SHA-256(0x01 || left || right): height 1's
 *     floor(n/2) nodes, then height 2's floor(n/4), ... up to height 8, back to back (the layout
 *     of merkle's ExpandedTile). One call for a tile's 255 node hashes instead of 255.
 */
#define NAPI_VERSION 8
/* EC_KEY and ECDSA_verify are deprecated in OpenSSL 3.0 but present (node exports them), and
 * they skip the provider machinery that costs a third of a P-256 verify through EVP. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <node_api.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounds keep pathological inputs cheap to reject. 4096 bytes of SPKI covers RSA-16384 (the
 * largest modulus OpenSSL verifies with); a 16384-bit RSA signature is 2048 bytes; the longest
 * digest we know is 64 bytes (SHA-512). */
#define MAX_SPKI 4096
#define MAX_SIG 2048
#define MAX_DIGEST 64
#define MAX_NAME 32

typedef struct {
  const unsigned char *data;
  size_t len;
} bytes;

/* get_bytes reads a Uint8Array argument; returns 0 (with a pending TypeError naming `what`, "fn: arg") on a wrong type. */
static int get_bytes(napi_env env, napi_value v, const char *what, bytes *out) {
  bool is_ta = false;
  napi_typedarray_type type;
  size_t len = 0;
  void *data = NULL;
  char msg[96];
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, &len, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    snprintf(msg, sizeof msg, "%s must be a Uint8Array", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  out->data = data;
  out->len = len;
  return 1;
}

/* get_opt_string reads an optional string argument into buf ("" when undefined or null); a
 * string too long for buf or holding a NUL becomes "?", which names no digest or padding. */
static int get_opt_string(napi_env env, napi_value v, const char *what, char *buf, size_t cap) {
  napi_valuetype t;
  size_t len = 0;
  char msg[96];
  buf[0] = '\0';
  if (napi_typeof(env, v, &t) != napi_ok) return 0;
  if (t == napi_undefined || t == napi_null) return 1;
  if (t != napi_string) {
    snprintf(msg, sizeof msg, "verifyDigest: %s must be a string", what);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return 0;
  if (len >= cap) {
    buf[0] = '?';
    buf[1] = '\0';
    return 1;
  }
  if (napi_get_value_string_utf8(env, v, buf, cap, &len) != napi_ok) return 0;
  if (strlen(buf) != len) { /* an embedded NUL must not shorten "sha256\0x" into "sha256" */
    buf[0] = '?';
    buf[1] = '\0';
  }
  return 1;
}

/* The named curves Sigstore and Rekor use. Their SPKI DER is one fixed header followed by the
 * point, so a byte compare is a complete parse. */
static const struct {
  int nid;
  size_t field; /* bytes per coordinate */
  size_t algid_len;
  unsigned char algid[21]; /* SEQUENCE { id-ecPublicKey, namedCurve OID } */
} curves[] = {
    {NID_X9_62_prime256v1, 32, 21, {0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
                       0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}},
    {NID_secp384r1, 48, 18, {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
                       0x2b, 0x81, 0x04, 0x00, 0x22}},
    {NID_secp521r1, 66, 18, {0x30, 0x10, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x05,
                       0x2b, 0x81, 0x04, 0x00, 0x23}},
};

/* der_len writes a DER length below 256; returns its size. */
static size_t der_len(unsigned char *out, size_t n) {
  if (n < 128) {
    out[0] = (unsigned char)n;
    return 1;
  }
  out[0] = 0x81;
  out[1] = (unsigned char)n;
  return 2;
}

/* NCURVES is the number of curves above. */
#define NCURVES (sizeof curves / sizeof curves[0])

/* instance is one addon instance's state (one per thread that loads it): the curves' groups,
 * built on first use. EC_KEY_new_by_curve_name builds its group from the curve's parameters on
 * every call, ~16 us here against ~70 us for the P-256 verify itself; a key given a built group
 * copies it, which costs next to nothing. */
typedef struct {
  EC_GROUP *groups[NCURVES];
} instance;

static void free_instance(napi_env env, void *data, void *hint) {
  instance *in = data;
  for (size_t c = 0; c < NCURVES; c++) EC_GROUP_free(in->groups[c]);
  free(in);
}

static EC_KEY *new_key(instance *in, size_t c) {
  EC_KEY *key;
  if (in->groups[c] == NULL) in->groups[c] = EC_GROUP_new_by_curve_name(curves[c].nid);
  if (in->groups[c] == NULL || (key = EC_KEY_new()) == NULL) return NULL;
  if (EC_KEY_set_group(key, in->groups[c]) != 1) {
    EC_KEY_free(key);
    return NULL;
  }
  return key;
}

/* ec_fast_verify checks an ECDSA signature for a named-curve SPKI with the EC_KEY API: the point
 * is decoded (and checked to lie on the curve) by EC_KEY_oct2key, and ECDSA_verify takes the DER
 * signature (rejecting any encoding but the canonical one) and the digest as is, which is what
 * EVP_PKEY_verify does for EC keys underneath. Through EVP, OpenSSL 3.0 spends ~30 us a call on
 * key import and provider lookups (d2i_PUBKEY more, through the decoder framework) against ~75 us
 * for the P-256 verify itself. Returns -1 when the SPKI is not one of these shapes (the caller
 * takes the generic path), else 1 for a valid signature and 0 for anything else. */
static int ec_fast_verify(instance *in, const bytes *spki, const bytes *digest, const bytes *sig) {
  for (size_t c = 0; c < NCURVES; c++) {
    for (int compressed = 0; compressed < 2; compressed++) {
      size_t plen = compressed ? 1 + curves[c].field : 1 + 2 * curves[c].field;
      unsigned char hdr[40], bits[2];
      size_t bl = der_len(bits, 1 + plen), h = 0;
      size_t inner = curves[c].algid_len + 1 + bl + 1 + plen;
      hdr[h++] = 0x30;
      h += der_len(hdr + h, inner);
      memcpy(hdr + h, curves[c].algid, curves[c].algid_len);
      h += curves[c].algid_len;
      hdr[h++] = 0x03;
      memcpy(hdr + h, bits, bl);
      h += bl;
      hdr[h++] = 0x00; /* no unused bits */
      if (spki->len != h + plen || memcmp(spki->data, hdr, h) != 0) continue;

      EC_KEY *key = new_key(in, c);
      int ok = key != NULL && EC_KEY_oct2key(key, spki->data + h, plen, NULL) == 1 &&
               ECDSA_verify(0, digest->data, (int)digest->len, sig->data, (int)sig->len, key) == 1;
      EC_KEY_free(key);
      return ok;
    }
  }
  return -1;
}

/* verify does the OpenSSL work; 1 = valid, 0 = anything else. Frees everything it made. */
static int verify(instance *in, const bytes *spki, const bytes *digest, const bytes *sig, const char *hash,
                  const char *padding) {
  EVP_PKEY *pkey = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  const EVP_MD *md = NULL;
  const unsigned char *p = spki->data;
  int ok = 0, type, pad = RSA_PKCS1_PADDING;

  if (spki->len == 0 || spki->len > MAX_SPKI || digest->len == 0 || digest->len > MAX_DIGEST ||
      sig->len == 0 || sig->len > MAX_SIG)
    return 0;
  if (hash[0] != '\0') {
    md = EVP_get_digestbyname(hash);
    if (md == NULL || (size_t)EVP_MD_get_size(md) != digest->len) return 0;
  }
  if (padding[0] != '\0') {
    if (strcmp(padding, "pkcs1") == 0) pad = RSA_PKCS1_PADDING;
    else if (strcmp(padding, "pss") == 0) pad = RSA_PKCS1_PSS_PADDING;
    else return 0;
  }

  if (padding[0] == '\0') {
    int fast = ec_fast_verify(in, spki, digest, sig);
    if (fast >= 0) return fast;
  }
  pkey = d2i_PUBKEY(NULL, &p, (long)spki->len);
  /* Trailing bytes after the SPKI mean it was not the DER we were promised. */
  if (pkey == NULL || p != spki->data + spki->len) goto done;
  type = EVP_PKEY_get_base_id(pkey);
  ctx = EVP_PKEY_CTX_new(pkey, NULL);
  if (ctx == NULL || EVP_PKEY_verify_init(ctx) <= 0) goto done;
  if (type == EVP_PKEY_EC) {
    if (padding[0] != '\0') goto done;
    if (md != NULL && EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0) goto done;
  } else if (type == EVP_PKEY_RSA || type == EVP_PKEY_RSA_PSS) {
    /* Without a hash OpenSSL would compare the bare digest with no DigestInfo: never what we
     * want. A PSS-only key (id-RSASSA-PSS SPKI) refuses PKCS#1 v1.5 padding by itself. */
    if (md == NULL) goto done;
    if (EVP_PKEY_CTX_set_rsa_padding(ctx, pad) <= 0) goto done;
    if (EVP_PKEY_CTX_set_signature_md(ctx, md) <= 0) goto done;
    if (pad == RSA_PKCS1_PSS_PADDING &&
        (EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, md) <= 0 ||
         EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) <= 0))
      goto done;
  } else {
    goto done; /* Ed25519 etc. sign messages, not digests. */
  }
  ok = EVP_PKEY_verify(ctx, sig->data, sig->len, digest->data, digest->len) == 1;

done:
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(pkey);
  return ok;
}

static napi_value VerifyDigest(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5], result;
  bytes spki, digest, sig;
  char hash[MAX_NAME], padding[MAX_NAME];
  instance *in;
  int ok;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "verifyDigest: expected (spkiDer, digest, derSignature)");
    return NULL;
  }
  if (argc < 5) {
    napi_value undef;
    napi_get_undefined(env, &undef);
    for (size_t i = argc; i < 5; i++) argv[i] = undef;
  }
  if (!get_bytes(env, argv[0], "verifyDigest: spkiDer", &spki) || !get_bytes(env, argv[1], "verifyDigest: digest", &digest) ||
      !get_bytes(env, argv[2], "verifyDigest: derSignature", &sig) ||
      !get_opt_string(env, argv[3], "hash", hash, sizeof hash) ||
      !get_opt_string(env, argv[4], "padding", padding, sizeof padding))
    return NULL;

  /* Failures push onto OpenSSL's per-thread error queue, which node:crypto shares; pop back to a
   * mark so a failed verify here never surfaces as a stale error in an unrelated crypto call. */
  ERR_set_mark();
  ok = napi_get_instance_data(env, (void **)&in) == napi_ok && in != NULL && verify(in, &spki, &digest, &sig, hash, padding);
  ERR_pop_to_mark();

  if (napi_get_boolean(env, ok, &result) != napi_ok) return NULL;
  return result;
}

static napi_value LeafHashes(napi_env env, napi_callback_info info) {
  static const unsigned char leaf_prefix = 0x00; /* RFC 6962 section 2.1 */
  size_t argc = 1;
  napi_value argv[1], buf, result;
  bool is_array = false;
  uint32_t n = 0;
  unsigned char *out = NULL;
  EVP_MD_CTX *ctx = NULL;
  EVP_MD *md = NULL;
  int ok = 1;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, "leafHashes: expected an array of Uint8Array");
    return NULL;
  }
  if (napi_create_arraybuffer(env, (size_t)n * 32, (void **)&out, &buf) != napi_ok) return NULL;
  /* An explicit fetch, once per call: EVP_sha256() would be fetched again at every init. */
  md = EVP_MD_fetch(NULL, "SHA256", NULL);
  ctx = EVP_MD_CTX_new();
  if (md == NULL || ctx == NULL) ok = 0;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value el;
    bytes body;
    if (napi_get_element(env, argv[0], i, &el) != napi_ok || !get_bytes(env, el, "leafHashes: each body", &body)) {
      EVP_MD_CTX_free(ctx);
      EVP_MD_free(md);
      return NULL;
    }
    ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, &leaf_prefix, 1) == 1 &&
         EVP_DigestUpdate(ctx, body.data, body.len) == 1 && EVP_DigestFinal_ex(ctx, out + (size_t)i * 32, NULL) == 1;
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  if (!ok) {
    napi_throw_error(env, NULL, "leafHashes: SHA-256 failed");
    return NULL;
  }
  if (napi_create_typedarray(env, napi_uint8_array, (size_t)n * 32, buf, 0, &result) != napi_ok) return NULL;
  return result;
}

static napi_value TileNodes(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], buf, result;
  bytes in;
  unsigned char *out = NULL, pair[65];
  size_t width, total = 0, src_at, dst_at;
  const unsigned char *src;
  EVP_MD_CTX *ctx = NULL;
  EVP_MD *md = NULL;
  int ok = 1;

  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1 || !get_bytes(env, argv[0], "tileNodes: hashes", &in)) return NULL;
  if (in.len == 0 || in.len % 32 != 0 || in.len > 256 * 32) {
    napi_throw_range_error(env, NULL, "tileNodes: expected 1..256 hashes of 32 bytes");
    return NULL;
  }
  width = in.len / 32;
  for (size_t n = width / 2; n > 0; n /= 2) total += n;
  if (napi_create_arraybuffer(env, total * 32, (void **)&out, &buf) != napi_ok) return NULL;
  md = EVP_MD_fetch(NULL, "SHA256", NULL);
  ctx = EVP_MD_CTX_new();
  if (md == NULL || ctx == NULL) ok = 0;
  pair[0] = 0x01; /* RFC 6962 section 2.1: node hash prefix */
  /* Height h's nodes are written right after height h-1's, and each reads two of the row below. */
  src = in.data;
  src_at = 0;
  dst_at = 0;
  for (size_t n = width / 2; ok && n > 0; n /= 2) {
    for (size_t i = 0; ok && i < n; i++) {
      memcpy(pair + 1, src + src_at + 64 * i, 64);
      ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, pair, sizeof pair) == 1 &&
           EVP_DigestFinal_ex(ctx, out + dst_at + 32 * i, NULL) == 1;
    }
    src = out;
    src_at = dst_at;
    dst_at += 32 * n;
  }
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  if (!ok) {
    napi_throw_error(env, NULL, "tileNodes: SHA-256 failed");
    return NULL;
  }
  if (napi_create_typedarray(env, napi_uint8_array, total * 32, buf, 0, &result) != napi_ok) return NULL;
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_value fn;
  instance *in = calloc(1, sizeof *in);
  if (in == NULL || napi_set_instance_data(env, in, free_instance, NULL) != napi_ok) {
    free(in);
    return NULL;
  }
  if (napi_create_function(env, "verifyDigest", NAPI_AUTO_LENGTH, VerifyDigest, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "verifyDigest", fn) != napi_ok)
    return NULL;
  if (napi_create_function(env, "leafHashes", NAPI_AUTO_LENGTH, LeafHashes, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "leafHashes", fn) != napi_ok)
    return NULL;
  if (napi_create_function(env, "tileNodes", NAPI_AUTO_LENGTH, TileNodes, NULL, &fn) != napi_ok ||
      napi_set_named_property(env, exports, "tileNodes", fn) != napi_ok)
    return NULL;
  return exports;
}
