"""The test toolkit, one of each: signing in (`signin`), real Redis and `rq worker`s and waiting
for them (`services`), the mail server and platform doubles (`doubles`). Their fixtures live
in tests/conftest.py, so every folder gets the same ones without importing them."""
