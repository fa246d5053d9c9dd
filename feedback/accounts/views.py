"""Signing in and out, one's own password and language, and the users admin (supervisors)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.orm import joinedload, selectinload

from feedback.accounts.forms import (LocaleForm, LoginForm, PasswordChangeForm, UserCreateForm, UserEditForm,
                                     choice)
from feedback.accounts.login import authenticate, find_user, session_token
from feedback.accounts.tokens import revoke, set_new_password, tokens_of
from feedback.accounts.models import User
from feedback.accounts.scope import unit_ids_clause
from feedback.directory.models import Unit
from feedback.directory.tree import scoped_units
from feedback.extensions import db, login_manager
from feedback.timeutil import now
from feedback.web.helpers import actor, landing_endpoint, paginate, roles_required, safe_next

bp = Blueprint("accounts", __name__)

login_manager.login_view = "accounts.login"
login_manager.login_message = None  # the login page itself says what to do
login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    # with the unit: every page makes the signed-in Actor from both (Actor.of)
    user = db.session.get(User, int(user_id), options=[joinedload(User.unit)])
    # A sign-out, a changed password or a deactivated account ends every existing session.
    if user is None or not user.active or session.get("pwv") != session_token(user):
        return None
    return user


# Pages a person whose password an administrator gave may still open.
PASSWORD_CHANGE_EXEMPT = {"accounts.change_password", "accounts.logout", "accounts.set_locale", "static",
                          "base.healthz"}


@bp.before_app_request
def require_own_password():
    """Until they choose their own password, a person sees only the page to change it."""
    if (request.blueprint != "api" and request.endpoint not in PASSWORD_CHANGE_EXEMPT
            and current_user.is_authenticated and current_user.must_change_password):
        return redirect(url_for("accounts.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for(landing_endpoint(current_user)))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        outcome = authenticate(form.username.data, form.password.data, request.remote_addr, now())
        db.session.commit()  # failure counters are kept whatever the outcome
        if outcome.user is not None:
            locale = session.get("locale")
            session.clear()  # a fresh session at sign-in: nothing carried over from before
            if locale:  # a language picked on the login page is the person's explicit choice
                outcome.user.locale = locale
            session["pwv"] = session_token(outcome.user)
            login_user(outcome.user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for(landing_endpoint(outcome.user)))
        if outcome.locked_until is not None:
            minutes = max(1, -(-int((outcome.locked_until - now()).total_seconds()) // 60))
            flash(ngettext("登录失败次数过多，请 %(num)d 分钟后再试。", "登录失败次数过多，请 %(num)d 分钟后再试。", minutes),
                  "error")
            status = 429
        else:
            flash(_("用户名或密码不正确。"), "error")
    return render_template("accounts/login.html", form=form, locale_form=LocaleForm()), status


@bp.post("/logout")
@login_required
def logout():
    # Server-side: the user's session version moves on, so this cookie (and any copy of it
    # taken earlier) no longer signs anyone in. It ends the user's other sessions too.
    current_user.end_sessions()
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("已退出登录。"), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm(current_user.username)
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append(_("当前密码不正确"))
        elif current_user.must_change_password and form.new.data == form.current.data:
            form.new.errors.append(_("请设置一个与管理员给的密码不同的新密码"))
        else:
            set_new_password(current_user, form.new.data, now())
            current_user.must_change_password = False
            session["pwv"] = session_token(current_user)  # this session stays; others end
            db.session.commit()
            flash(_("密码已修改。"), "success")
            return redirect(url_for("base.index"))
    return render_template("accounts/password.html", form=form)


@bp.post("/account/locale")
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
        else:
            session["locale"] = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("base.index"))


@bp.get("/account/tokens")
@login_required
def tokens():
    """One's own API tokens: when made, last used, revoked; never the secret."""
    return render_template("accounts/tokens.html", tokens=tokens_of(current_user.id))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int):
    if revoke(token_id, now(), user_id=current_user.id) is None:
        abort(404)  # someone else's token is no token at all here
    db.session.commit()
    flash(_("已吊销该 API 令牌。"), "success")
    return redirect(url_for("accounts.tokens"))


# --- users admin (supervisors, within their subtree) -----------------------------------------

def _unit_choices():
    units = scoped_units(actor())
    return [choice(u.code, ("　" * u.depth) + f"{u.name}（{u.code}）") for u in units]


def _unit_by_code(code: str) -> Unit | None:
    return db.session.execute(
        sa.select(Unit).where(Unit.code == code, unit_ids_clause(actor()))
    ).scalar_one_or_none()


def _user_in_scope(user_id: int) -> User:
    user = db.session.execute(
        sa.select(User).join(Unit, User.unit_id == Unit.id).where(User.id == user_id, unit_ids_clause(actor()))
    ).scalar_one_or_none()
    if user is None:
        abort(404)
    return user


@bp.route("/admin/users", methods=["GET", "POST"])
@roles_required("supervisor")
def users():
    form = UserCreateForm()
    form.unit.choices = _unit_choices()
    if form.validate_on_submit():
        unit = _unit_by_code(form.unit.data)
        if find_user(form.username.data) is not None:
            form.username.errors.append(_("已有同名用户"))
        elif unit is None:
            form.unit.errors.append(_("请选择您管辖范围内的单位"))
        else:
            user = User(username=form.username.data.strip(), display_name=form.display_name.data or None,
                        email=form.email.data or None, role=form.role.data, unit=unit, locale="zh_CN")
            user.set_password(form.password.data)
            user.must_change_password = True
            db.session.add(user)
            db.session.commit()
            flash(_("已创建用户 %(name)s。", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    query = sa.select(User).join(Unit, User.unit_id == Unit.id).where(unit_ids_clause(actor()))
    page = paginate(query.options(selectinload(User.unit)), (Unit.path, User.username))
    return render_template("accounts/users.html", page=page, form=form)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def user_edit(user_id: int):
    user = _user_in_scope(user_id)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    form.unit.choices = _unit_choices()
    if request.method == "GET":
        form.unit.data = user.unit.code
    if form.validate_on_submit():
        unit = _unit_by_code(form.unit.data)
        is_self = user.id == current_user.id
        if unit is None:
            form.unit.errors.append(_("请选择您管辖范围内的单位"))
        elif is_self and (not form.active.data or form.role.data != user.role or unit.id != user.unit_id):
            # Demoting or disabling oneself could leave nobody able to administer the unit.
            form.role.errors.append(_("不能停用自己或修改自己的角色和单位"))
        elif form.password.data and form.password.data.strip().lower() == user.username.lower():
            form.password.errors.append(_("密码不能与用户名相同"))
        else:
            user.display_name = form.display_name.data or None
            user.email = form.email.data or None
            user.role, user.unit, user.active = form.role.data, unit, form.active.data
            if form.password.data:
                set_new_password(user, form.password.data, now())
                if is_self:
                    session["pwv"] = session_token(user)
                else:  # someone else's password, which the administrator now knows
                    user.must_change_password = True
            db.session.commit()
            flash(_("已保存用户 %(name)s。", name=user.username), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_edit.html", user=user, form=form)
