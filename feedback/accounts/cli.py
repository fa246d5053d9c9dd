from __future__ import annotations

import secrets
import sys

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from feedback.accounts.models import ROLES, ApiToken, User
from feedback.directory.models import Unit
from feedback.extensions import db
from feedback.timeutil import iso


def _fail(message: str) -> None:
    click.echo(f"feedback: error: {message}", err=True)
    sys.exit(2)


@click.group("user", help="Users (supervisor, unit_staff, viewer).")
def user_cli():
    pass


@user_cli.command("create")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--unit", "unit_code", required=True, help="code of the user's unit")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
@click.option("--email", default=None)
@click.option("--display-name", default=None)
@with_appcontext
def create_user(name, role, unit_code, password_stdin, email, display_name):
    unit = db.session.execute(sa.select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
    if unit is None:
        _fail(f"--unit: no unit with code {unit_code!r}; load units first (feedback units load FILE)")
    if db.session.execute(sa.select(User.id).where(User.username == name)).first():
        _fail(f"a user named {name!r} already exists")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if len(password) < 8:
            _fail("password: at least 8 characters")
        generated = False
    else:
        password, generated = secrets.token_urlsafe(12), True
    user = User(username=name, role=role, unit=unit, email=email, display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"created {role} {name} in {unit.code} {unit.name}")
    if generated:
        click.echo(f"password: {password}")


@click.group("token", help="API tokens.")
def token_cli():
    pass


@token_cli.command("create")
@click.argument("name")
@click.option("--label", default="", help="what the token is for")
@with_appcontext
def create_token(name, label):
    user = db.session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        _fail(f"no user named {name!r}; create one first (feedback user create)")
    token_row, token = ApiToken.issue(user, label)
    db.session.add(token_row)
    db.session.commit()
    click.echo(token)


def _user_named(name: str) -> User:
    user = db.session.execute(sa.select(User).where(User.username == name)).scalar_one_or_none()
    if user is None:
        _fail(f"no user named {name!r}; create one first (feedback user create)")
    return user


@token_cli.command("list")
@click.argument("name")
@with_appcontext
def list_tokens(name):
    """A user's tokens: id, created, last used (and label, revoked); never the secret."""
    from feedback.accounts.tokens import tokens_of

    user = _user_named(name)
    click.echo("id\tcreated\tlast_used\trevoked\tprefix\tlabel")
    for t in tokens_of(user.id):
        click.echo("\t".join([str(t.id), iso(t.created_at), iso(t.last_used_at) or "-",
                               iso(t.revoked_at) or "-", t.prefix + "…", t.name or ""]))


@token_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(1, 2**31 - 1))
@with_appcontext
def revoke_token(token_id):
    """Revoke one token at once: the next request with it gets 401."""
    from feedback.accounts.tokens import revoke
    from feedback.timeutil import now

    token = revoke(token_id, now())
    if token is None:
        _fail(f"no token with id {token_id}; see feedback token list NAME")
    db.session.commit()
    click.echo(f"revoked token {token.id} of {token.user.username} ({token.prefix}…)")
