"""Directory admin (supervisors, within their subtree): the unit tree, sites and accounts,
routing rules with a "which unit gets this URL?" box."""
from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.orm import selectinload

from feedback.accounts.forms import choice
from feedback.accounts.scope import unit_ids_clause
from feedback.directory.admin import add_property, add_unit, set_path, set_property_rules, would_cycle
from feedback.directory.forms import PropertyForm, RuleForm, UnitForm
from feedback.directory.loaders import LoadErrors, load_properties, load_units
from feedback.directory.models import Property, RoutingRule, Unit
from feedback.directory.routing import Query, normalize_url, route_many
from feedback.directory.rules import add_rule_in_scope, check_property_claims
from feedback.directory.tree import scoped_units
from feedback.errors import InputError
from feedback.extensions import db
from feedback.messages import field_name, localize
from feedback.tabular import UnreadableFile
from feedback.web.helpers import actor, paginate, roles_required

bp = Blueprint("directory", __name__, url_prefix="/admin")

def _scoped_units() -> list[Unit]:
    return scoped_units(actor())


def _unit_choices(units: list[Unit]):
    base = min((u.depth for u in units), default=0)
    return [choice(u.code, "　" * (u.depth - base) + f"{u.name}（{u.code}）") for u in units]


def _unit_by_code(code: str | None) -> Unit | None:
    if not code:
        return None
    return db.session.execute(
        sa.select(Unit).where(Unit.code == code, unit_ids_clause(actor()))
    ).scalar_one_or_none()


def _scoped_or_404(model, object_id: int):
    """A unit, property or rule whose unit is in the actor's subtree; 404 otherwise."""
    obj = db.session.get(model, object_id)
    unit_id = None if obj is None else obj.id if model is Unit else obj.unit_id
    if unit_id is None or not db.session.execute(
        sa.select(Unit.id).where(Unit.id == unit_id, unit_ids_clause(actor()))
    ).first():
        abort(404)
    return obj


def _show_errors(form, exc: InputError) -> None:
    for field, message in exc.errors.items():
        target = getattr(form, field, None)
        if target is not None and hasattr(target, "errors"):
            target.errors = list(target.errors) + [message]
        else:
            flash(message, "error")


# --- units ------------------------------------------------------------------------------------

@bp.route("/units", methods=["GET", "POST"])
@roles_required("supervisor")
def units():
    scoped = _scoped_units()
    form = UnitForm()
    form.parent.choices = _unit_choices(scoped)
    if form.validate_on_submit():
        parent = _unit_by_code(form.parent.data)
        if db.session.execute(sa.select(Unit.id).where(Unit.code == form.code.data.strip())).first():
            form.code.errors.append(_("已有单位使用这个编码"))
        elif parent is None:
            form.parent.errors.append(_("请选择您管辖范围内的上级单位"))
        else:
            unit = add_unit(form.code.data.strip(), form.name.data.strip(), form.kind.data, parent)
            db.session.commit()
            flash(_("已添加单位 %(name)s。", name=unit.name), "success")
            return redirect(url_for("directory.units"))
    return _units_page(scoped, form)


def _units_page(scoped, form, *, load=None, status=200):
    counts = dict(db.session.execute(
        sa.select(Property.unit_id, sa.func.count()).group_by(Property.unit_id)
    ).all())
    base = min((u.depth for u in scoped), default=0)
    return render_template("directory/units.html", units=scoped, form=form, base_depth=base, counts=counts,
                           load_form=LoadForm(formdata=None), load=load, may_load=actor().is_root), status


# --- loading units and sites from a file (the same loaders as `feedback units|properties load`) --

class LoadForm(FlaskForm):
    file = FileField(validators=[FileRequired()])


LOADERS = {"units": (load_units, _l("单位")), "properties": (load_properties, _l("网站与账号"))}


@bp.post("/units/load/<what>")
@roles_required("supervisor")
def load(what: str):
    """All or nothing, like the command line: any bad row loads nothing and every problem is
    listed with the row number Excel shows."""
    if what not in LOADERS:
        abort(404)
    # A file may name any unit code: the whole directory is the top office's to load.
    if not actor().is_root:
        abort(403)
    loader, noun = LOADERS[what]
    form = LoadForm()
    if not form.validate_on_submit():
        return _load_failed(what, [(None, None, _("请选择要上传的 XLSX 或 CSV 文件。"))])
    upload = form.file.data
    filename = Path(upload.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="feedback-load-") as tmp:
        path = Path(tmp) / ("upload" + Path(filename).suffix.lower())
        upload.save(path)
        try:
            result = loader(path)
            db.session.commit()
        except UnreadableFile as exc:
            db.session.rollback()
            reason = str(exc).removeprefix(f"{path}: ")
            return _load_failed(what, [(None, None, localize(reason))], filename)
        except LoadErrors as exc:
            db.session.rollback()
            problems = [(p.row, field_name(p.field) if p.field else None, localize(p.message))
                        for p in exc.problems]
            return _load_failed(what, problems, filename)
        except sa.exc.IntegrityError:  # another load or an admin changed the same rows meanwhile
            db.session.rollback()
            return _load_failed(what, [(None, None, _("目录在导入期间被修改，没有导入任何一行；请重新上传。"))],
                                filename)
    flash(_("已导入%(what)s（%(file)s）：新建 %(c)s，更新 %(u)s，未变 %(n)s。", what=noun, file=filename,
            c=result.created, u=result.updated, n=result.unchanged), "success")
    return redirect(url_for("directory.units"))


def _load_failed(what: str, problems: list, filename: str | None = None):
    form = UnitForm(formdata=None)
    scoped = _scoped_units()
    form.parent.choices = _unit_choices(scoped)
    load = {"what": what, "noun": LOADERS[what][1], "filename": filename, "problems": problems}
    return _units_page(scoped, form, load=load, status=422)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def unit_edit(unit_id: int):
    unit = _scoped_or_404(Unit, unit_id)
    is_own_root = unit.id == actor().unit_id
    form = UnitForm(obj=unit if request.method == "GET" else None)
    scoped = [u for u in _scoped_units() if not u.path.startswith(unit.path)]  # never under itself
    form.parent.choices = _unit_choices(scoped) if not is_own_root else [choice("", "—")]
    if request.method == "GET" and unit.parent is not None:
        form.parent.data = unit.parent.code
    if form.validate_on_submit():
        clash = db.session.execute(
            sa.select(Unit.id).where(Unit.code == form.code.data.strip(), Unit.id != unit.id)
        ).first()
        parent = None if is_own_root else _unit_by_code(form.parent.data)
        if clash:
            form.code.errors.append(_("已有单位使用这个编码"))
        elif not is_own_root and (parent is None or would_cycle(unit, parent)):
            form.parent.errors.append(_("请选择您管辖范围内、且不在本单位之下的上级单位"))
        else:
            unit.code, unit.name, unit.kind = form.code.data.strip(), form.name.data.strip(), form.kind.data
            if not is_own_root and parent.id != unit.parent_id:
                unit.parent = parent
                set_path(unit)  # the whole subtree moves with it
            db.session.commit()
            flash(_("已保存单位 %(name)s。", name=unit.name), "success")
            return redirect(url_for("directory.units"))
    return render_template("directory/unit_edit.html", unit=unit, form=form, is_own_root=is_own_root)


# --- properties (websites and new-media accounts) ---------------------------------------------

@bp.route("/properties", methods=["GET", "POST"])
@roles_required("supervisor")
def properties():
    scoped = _scoped_units()
    form = PropertyForm()
    form.unit.choices = _unit_choices(scoped)
    if form.validate_on_submit() and _save_property(form, None):
        return redirect(url_for("directory.properties"))
    q = (request.args.get("q") or "").strip()
    query = sa.select(Property).join(Unit, Property.unit_id == Unit.id).where(unit_ids_clause(actor()))
    if q:
        needle = q.lower()
        query = query.where(sa.or_(
            sa.func.lower(Property.name).contains(needle, autoescape=True),
            sa.func.lower(Property.site_code).contains(needle, autoescape=True),
            sa.func.lower(Property.url_prefixes).contains(needle, autoescape=True),
        ))
    page = paginate(query.options(selectinload(Property.unit)), (Unit.path, Property.name))
    return render_template("directory/properties.html", page=page, form=form, q=q)


@bp.route("/properties/<int:property_id>", methods=["GET", "POST"])
@roles_required("supervisor")
def property_edit(property_id: int):
    prop = _scoped_or_404(Property, property_id)
    form = PropertyForm(obj=prop if request.method == "GET" else None)
    form.unit.choices = _unit_choices(_scoped_units())
    if request.method == "GET":
        form.unit.data = prop.unit.code
        form.url_prefixes.data = "\n".join(prop.prefixes)
    if form.validate_on_submit() and _save_property(form, prop):
        return redirect(url_for("directory.properties"))
    return render_template("directory/property_edit.html", prop=prop, form=form)


def _save_property(form: PropertyForm, prop: Property | None) -> bool:
    unit = _unit_by_code(form.unit.data)
    if unit is None:
        form.unit.errors.append(_("请选择您管辖范围内的单位"))
        return False
    site_code = (form.site_code.data or "").strip().upper() or None
    account = (form.account.data or "").strip() or None
    try:
        check_property_claims(actor(), form.kind.data, site_code, form.prefix_list(), account,
                              exclude_property=prop.id if prop else None)
        if prop is None:
            prop = add_property(unit, form.kind.data, form.name.data.strip(), site_code=site_code,
                                url_prefixes=form.prefix_list(), account=account)
        else:
            prop.unit, prop.kind, prop.name = unit, form.kind.data, form.name.data.strip()
            prop.site_code, prop.account = site_code, account
            db.session.flush()
            set_property_rules(prop, form.prefix_list())
            # Rules follow the property's unit.
            for rule in db.session.execute(sa.select(RoutingRule).where(RoutingRule.property_id == prop.id)).scalars():
                rule.unit_id = unit.id
        db.session.commit()
    except InputError as exc:
        db.session.rollback()
        _show_errors(form, exc)
        return False
    flash(_("已保存 %(name)s，转办规则已同步更新。", name=prop.name), "success")
    return True


# --- routing rules ----------------------------------------------------------------------------

@bp.route("/rules", methods=["GET", "POST"])
@roles_required("supervisor")
def rules():
    scoped = _scoped_units()
    form = RuleForm()
    form.unit.choices = _unit_choices(scoped)
    if form.validate_on_submit():
        unit = _unit_by_code(form.unit.data)
        try:
            if unit is None:
                raise InputError({"unit": _("请选择您管辖范围内的单位")})
            rule = add_rule_in_scope(actor(), form.kind.data, form.pattern.data, unit)
            db.session.commit()
            flash(_("已添加转办规则：%(p)s → %(u)s", p=rule.pattern, u=unit.name), "success")
            return redirect(url_for("directory.rules"))
        except InputError as exc:
            db.session.rollback()
            _show_errors(form, exc)
    query = (sa.select(RoutingRule).join(Unit, RoutingRule.unit_id == Unit.id)
             .where(unit_ids_clause(actor()))
             .options(selectinload(RoutingRule.unit), selectinload(RoutingRule.site_property)))
    page = paginate(query, (RoutingRule.kind, RoutingRule.pattern))
    return render_template("directory/rules.html", page=page, form=form, check=_route_check())


def _route_check():
    """The answer to "which unit gets this URL?" for the URL (and site code) in the query string."""
    url = (request.args.get("url") or "").strip()
    site_code = (request.args.get("site_code") or "").strip()
    if not url and not site_code:
        return None
    [rule] = route_many(db.session, [Query(site_code=site_code or None, url=url or None)])
    unit = db.session.get(Unit, rule.unit_id) if rule else None
    return {"url": url, "site_code": site_code, "normalized": normalize_url(url), "rule": rule, "unit": unit}


@bp.post("/rules/<int:rule_id>/delete")
@roles_required("supervisor")
def rule_delete(rule_id: int):
    rule = _scoped_or_404(RoutingRule, rule_id)
    if rule.property_id is not None:
        flash(_("这条规则来自网站或账号的设置，请在“网站与账号”中修改。"), "warning")
    else:
        db.session.delete(rule)
        db.session.commit()
        flash(_("已删除转办规则 %(p)s。", p=rule.pattern), "success")
    return redirect(url_for("directory.rules"))
