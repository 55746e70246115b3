#!/usr/bin/env python3
"""Makes vector.json once: a WebAuthn registration and assertion for each of ES256 and Ed25519,
with keys made and data signed by the `openssl` command line and every byte assembled here, apart
from the C++ code under test (stepup/webauthn.cc) and its test authenticator. Not run by the
build: the test reads the checked-in output. Usage: python3 make_vector.py > vector.json"""
import base64, hashlib, json, os, struct, subprocess, tempfile

RP = {"origin": "https://jit.example.test", "rp_id": "jit.example.test"}
CHALLENGE = {"user_id": "U0FIXED", "nonce": "fixed-nonce-made-once"}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def challenge_bytes(purpose, request_id, action):
    data = b"jit-step-up-v1"
    for field in (purpose, CHALLENGE["user_id"], request_id, action, CHALLENGE["nonce"]):
        raw = field.encode()
        data += struct.pack(">I", len(raw)) + raw
    return hashlib.sha256(data).digest()


def openssl(*args, data=None):
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def make(alg, work):
    key = os.path.join(work, f"key{alg}.pem")
    if alg == -7:
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key)
        point = openssl("pkey", "-in", key, "-pubout", "-outform", "DER")[-65:]
        assert point[0] == 4
        x, y = point[1:33], point[33:65]
        cose = bytes([0xA5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]) + x + bytes([0x22, 0x58, 0x20]) + y
        public_key = x + y
    else:
        openssl("genpkey", "-algorithm", "ed25519", "-out", key)
        x = openssl("pkey", "-in", key, "-pubout", "-outform", "DER")[-32:]
        cose = bytes([0xA4, 0x01, 0x01, 0x03, 0x27, 0x20, 0x06, 0x21, 0x58, 0x20]) + x
        public_key = x
    cred_id = os.urandom(16)
    rp_hash = hashlib.sha256(RP["rp_id"].encode()).digest()

    create = json.dumps({"type": "webauthn.create", "challenge": b64url(challenge_bytes("enroll", "", "enroll")),
                         "origin": RP["origin"], "crossOrigin": False}, separators=(",", ":")).encode()
    reg_data = rp_hash + bytes([0x45]) + struct.pack(">I", 41) + bytes(16) + struct.pack(">H", 16) + cred_id + cose

    get = json.dumps({"type": "webauthn.get", "challenge": b64url(challenge_bytes("approve", "req-fixed", "approve")),
                      "origin": RP["origin"]}, separators=(",", ":")).encode()
    auth_data = rp_hash + bytes([0x05]) + struct.pack(">I", 42)
    signed = os.path.join(work, "signed")
    with open(signed, "wb") as f:
        f.write(auth_data + hashlib.sha256(get).digest())
    if alg == -7:
        signature = openssl("dgst", "-sha256", "-sign", key, signed)
    else:
        signature = openssl("pkeyutl", "-sign", "-inkey", key, "-rawin", "-in", signed)
    return {
        "cose_alg": alg,
        "registration": {"id": b64url(cred_id), "clientDataJSON": b64url(create),
                         "authenticatorData": b64url(reg_data), "publicKeyAlgorithm": alg},
        "public_key": b64url(public_key),
        "registration_sign_count": 41,
        "assertion": {"id": b64url(cred_id), "clientDataJSON": b64url(get), "authenticatorData": b64url(auth_data),
                      "signature": b64url(signature)},
        "assertion_sign_count": 42,
        "assertion_sha256": hashlib.sha256(get + auth_data + signature).hexdigest(),
    }


with tempfile.TemporaryDirectory() as work:
    vector = {"rp": RP, "challenge": CHALLENGE,
              "enroll_challenge_bytes": b64url(challenge_bytes("enroll", "", "enroll")),
              "approve_challenge_bytes": b64url(challenge_bytes("approve", "req-fixed", "approve")),
              "approve": {"request_id": "req-fixed", "action": "approve"},
              "credentials": [make(-7, work), make(-8, work)]}
print(json.dumps(vector, indent=2))
