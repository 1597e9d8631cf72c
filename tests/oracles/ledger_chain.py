"""Rule V7: the work ledger's chain, written out. Tests recompute each link with hmac and
hashlib from these literal bytes, never with the ledger's own chain_hash.

link(n) = HMAC-SHA256(key, link(n-1) as ASCII hex || canonical content(n)), hex; the first
entry links to 64 zeros. The canonical content is the UTF-8 JSON array
[format, town, seq, kind, subject, actor, at, recorded_at, payload, corrects, reason] with the
payload's sorted, space-free JSON text in place, and times in UTC with microseconds and `Z`.
"""

#: The first link's "previous": 64 zeros.
GENESIS = "0" * 64
#: The key of the fake ledger repository (visit_svc/adapters/ledger_repository.FAKE_KEY).
FAKE_KEY_SECRET = b"fake ledger key, for tests only"

#: Two visits of towns/chengdong at 10:00 and 10:01 China time on 23 Nov 2026 (02:00 UTC),
#: both recorded at 11:00 China time, as the ledger tests append them.
CONTENT_1 = (
    b'["sgz-ledger-v1","towns/chengdong",1,"visit","visits/v0","workers/w1",'
    b'"2026-11-23T02:00:00.000000Z","2026-11-23T03:00:00.000000Z",'
    b'{"checks":{"illness":{"note":"","value":"fine"}},"person":"persons/p0"},null,""]'
)
CONTENT_2 = (
    b'["sgz-ledger-v1","towns/chengdong",2,"visit","visits/v1","workers/w1",'
    b'"2026-11-23T02:01:00.000000Z","2026-11-23T03:00:00.000000Z",'
    b'{"checks":{"illness":{"note":"","value":"fine"}},"person":"persons/p1"},null,""]'
)
