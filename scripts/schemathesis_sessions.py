"""Opens the two sessions the schemathesis runs use, through the public API of a running Enrôle (demo data).

Usage: schemathesis_sessions.py BASE_URL OUTBOX_DIR PASSWORD_TOKEN
Prints shell assignments: GESTION_SESSION, PRO_SESSION (the values of the session cookies under test) and
GESTION_SIGN_OUT_SESSION, PRO_SIGN_OUT_SESSION (second sessions of the same people, for the sign-out runs).

1. The demo gestionnaire chooses a password with the one-time token printed by `enrole seed-demo`, then signs in.
2. A professional pre-registers at the demo site (document, notice, request), the gestionnaire validates the
   request, and the professional activates the e-CPS with the two codes read where the server writes them (the
   code email in OUTBOX_DIR, the SMS under OUTBOX_DIR/sms).
Standard library only: it runs with any Python 3.
"""

import email
import json
import os
import re
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE, OUTBOX, PASSWORD_TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
ORIGIN = BASE
CSRF = {"Origin": ORIGIN, "X-Enrole-Csrf": "1"}
PASSWORD = "Schemathesis-Mot-de-passe-42"
EMAIL = "gestionnaire.demo@enrole.localhost"
# A valid 1×1 PNG signature and header: enough for the document check.
PNG = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0"


# Straight to the loopback server, whatever proxy the environment names.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def call(method, path, body=None, headers=None, raw=None, content_type="application/json"):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with OPENER.open(request, timeout=30) as response:
            text = response.read().decode()
            return response.status, (json.loads(text) if text else None), response.headers
    except urllib.error.HTTPError as err:
        text = err.read().decode()
        raise SystemExit(f"{method} {path}: {err.code} {text}") from None


def session_cookie(headers):
    """The `name=value` pair of the session cookie an answer sets."""
    for value in headers.get_all("Set-Cookie") or []:
        pair = value.split(";", 1)[0]
        if "session" in pair.split("=", 1)[0] and pair.split("=", 1)[1]:
            return pair
    raise SystemExit("no session cookie in the answer")


def wait_for(find, what):
    for _ in range(100):
        found = find()
        if found:
            return found
        time.sleep(0.1)
    raise SystemExit(f"no {what} after 10 s")


def six_digits(text):
    match = re.search(r"(?<!\d)(\d{6})(?!\d)", text)
    return match.group(1) if match else None


SEEN = set()


def email_code(to):
    """The code of the next unread code email to `to`."""

    def find():
        for name in sorted(os.listdir(OUTBOX)):
            if "-code-" in name and name.endswith(".eml") and name not in SEEN:
                raw = open(os.path.join(OUTBOX, name), encoding="latin-1").read()
                if to in raw:
                    message = email.message_from_string(raw)
                    for part in message.walk():
                        if part.get_content_type() == "text/plain":
                            text = part.get_payload(decode=True).decode("utf-8", "replace")
                            SEEN.add(name)
                            return six_digits(text)
        return None

    return wait_for(find, "code email")


def sms_code(to):
    """The code of the next unread SMS to `to`."""
    directory = os.path.join(OUTBOX, "sms")

    def find():
        if not os.path.isdir(directory):
            return None
        for name in sorted(os.listdir(directory)):
            if name.endswith(".txt") and name not in SEEN:
                text = open(os.path.join(directory, name), encoding="utf-8").read()
                if text.startswith(f"To: {to}\n"):
                    SEEN.add(name)
                    return six_digits(text)
        return None

    return wait_for(find, "SMS")


def main():
    # 1. The gestionnaire.
    call("POST", "/api/v1/auth/password", {"token": PASSWORD_TOKEN, "password": PASSWORD}, CSRF)
    _, _, headers = call("POST", "/api/v1/auth/sign-in", {"email": EMAIL, "password": PASSWORD}, CSRF)
    gestion = session_cookie(headers)

    # 2. The professional: pre-registration at the demo site.
    _, found, _ = call("GET", "/api/v1/structures?q=Tilleuls")
    site = found["structures"][0]["site"]
    _, notice, _ = call("GET", f"/api/v1/structures/{site['id']}/notice")
    _, document, _ = call("POST", "/api/v1/documents", raw=PNG, content_type="image/png")
    email_address = f"schemathesis.{uuid.uuid4().hex[:8]}@exemple.fr"
    mobile = "06 12 34 56 78"
    request = {
        "civilite": "MME",
        "nom_naissance": "Schemathesis",
        "prenoms": ["Awa"],
        "date_naissance": "1988-11-03",
        "lieu_naissance": {"commune_cog": "2A004"},
        "email": email_address,
        "email_confirmation": email_address,
        "mobile": mobile,
        "situation": {
            "finess": site["finess"],
            "nom_exercice": "Schemathesis",
            "prenom_exercice": "Awa",
            "metier": "328",
            "role": "GENR11",
            "mode_exercice": "S",
            "date_prise_fonction": "2024-09-01",
        },
        "rpps_existant": None,
        "notice_version": notice["version"],
        "site_id": site["id"],
        "document_id": document["id"],
    }
    _, created, _ = call("POST", "/api/v1/pre-registrations", request, {"Idempotency-Key": str(uuid.uuid4())})

    # 3. The gestionnaire validates it.
    with_session = {**CSRF, "Cookie": gestion}
    _, queue, _ = call("GET", "/api/v1/gestion/demandes?status=toutes", headers={"Cookie": gestion})
    row = next(d for d in queue["demandes"] if d["reference"] == created["reference"])
    _, decided, _ = call("POST", f"/api/v1/gestion/demandes/{row['id']}/decision", {"decision": "validate"}, with_session)

    # 4. e-CPS activation with the two codes, then a second sign-in the same way (for the sign-out run).
    def professional_session():
        _, challenge, _ = call("POST", "/api/v1/activation/start", {"rpps": decided["rpps"]}, CSRF)
        codes = {
            "challenge_id": challenge["challenge_id"],
            "email_code": email_code(email_address),
            "sms_code": sms_code("+33612345678"),
        }
        _, _, headers = call("POST", "/api/v1/activation/confirm", codes, CSRF)
        return session_cookie(headers)

    professional = professional_session()
    professional_again = professional_session()
    _, _, headers = call("POST", "/api/v1/auth/sign-in", {"email": EMAIL, "password": PASSWORD}, CSRF)
    gestion_again = session_cookie(headers)

    for name, pair in [
        ("GESTION_SESSION", gestion),
        ("PRO_SESSION", professional),
        ("GESTION_SIGN_OUT_SESSION", gestion_again),
        ("PRO_SIGN_OUT_SESSION", professional_again),
    ]:
        print(f"{name}='{pair.split('=', 1)[1]}'")


main()
