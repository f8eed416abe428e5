"""Module authoring: upload a package zip, preview it as a learner, publish it.

Educators and admins may upload; a draft is seen only by its uploader and admins.
The preview renders the package read-only: it writes no statement and creates no
enrolment.
"""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from assessments import present
from lms import queries_authoring as queries
from lms.auth.permissions import role_required
from lms.errors import render_error
from lms.i18n import LOCALES, current_locale
from lms.markdown import render
from lms.models import ModuleDraft
from lms.operations import drafts
from lms.package_media import media_response, media_type
from lms.package_zip import Limits, ZipRejected
from lms.teach.authoring_forms import DraftActionForm, UploadForm

bp = Blueprint("authoring", __name__, url_prefix="/teach/modules")


def _limits() -> Limits:
    config, default = current_app.config, Limits()
    return Limits(
        max_files=config.get("LMS_PACKAGE_MAX_FILES", default.max_files),
        max_bytes=config.get("LMS_PACKAGE_MAX_BYTES", default.max_bytes),
        max_ratio=config.get("LMS_PACKAGE_MAX_RATIO", default.max_ratio),
    )


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f}"


def _zip_message(rejected: ZipRejected) -> str:
    """Say in plain words why a zip was refused."""
    limits, file = _limits(), rejected.detail.get("file", "")
    messages = {
        "not_zip": _(
            "The file is not a zip file. Zip the module folder and try again."
        ),
        "empty": _("The zip file holds no files."),
        "too_many_files": _(
            "The zip file holds more than %(max)d files.", max=limits.max_files
        ),
        "too_large": _(
            "The files in the zip take up more than %(mb)s MB when unpacked.",
            mb=_megabytes(limits.max_bytes),
        ),
        "bomb": _(
            "The zip file unpacks to far more than its own size (%(file)s), as a zip "
            "bomb does. It was not unpacked.",
            file=file or _("the whole zip"),
        ),
        "unsafe_path": _(
            "The zip file has a path that points outside the package: %(file)s. "
            "Paths must be relative and may not contain '..'.",
            file=file,
        ),
        "link": _(
            "The zip file holds a link (%(file)s). Links are not allowed.", file=file
        ),
        "duplicate": _("The zip file holds %(file)s twice.", file=file),
        "encrypted": _(
            "The zip file is protected by a password (%(file)s). "
            "Upload it without one.",
            file=file,
        ),
        "long_path": _("A path in the zip file is too long: %(file)s", file=file),
        "damaged": _(
            "The zip file is damaged (%(file)s). Zip the folder again.", file=file
        ),
    }
    return messages[rejected.reason]


def _index_page(form: UploadForm, status: int = 200, errors=()):
    return render_template(
        "authoring/index.html",
        form=form,
        errors=errors,
        drafts=queries.drafts_for(current_user),
        upload_limit=_megabytes(current_app.config["MAX_CONTENT_LENGTH"]),
    ), status


@bp.route("/", methods=["GET", "POST"])
@role_required("educator", "admin")
def index():
    """List the user's drafts and check and keep an uploaded package zip."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, 400 if form.is_submitted() else 200)
    try:
        draft = drafts.upload(form.package.data.read(), current_user, _limits())
    except ZipRejected as rejected:
        form.package.errors.append(_zip_message(rejected))
        return _index_page(form, 400)
    except drafts.PackageProblems as problems:
        return _index_page(form, 400, problems.errors)
    flash(_("The package has no errors. Preview it, then publish it."), "success")
    return redirect(url_for("authoring.draft", uuid=draft.uuid))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error):
    """Refuse an oversized upload with the upload page and the limit."""
    if not current_user.is_authenticated or not current_user.has_role(
        "educator", "admin"
    ):
        return render_error(413)
    form = UploadForm(formdata=None)  # reading the body again would fail again
    form.package.errors = [
        _(
            "The file is too large. A module package may be at most %(mb)s MB.",
            mb=_megabytes(current_app.config["MAX_CONTENT_LENGTH"]),
        )
    ]
    return _index_page(form, 413)


def _draft(uuid: str) -> ModuleDraft:
    draft = queries.draft_for(current_user, uuid)
    if draft is None:
        abort(404)
    return draft


def _draft_page(draft: ModuleDraft, status: int = 200, refusal=None, errors=()):
    return render_template(
        "authoring/draft.html",
        draft=draft,
        module=queries.draft_module(draft),
        versions=queries.versions_of(draft.slug),
        enrolled=queries.enrolment_counts(draft.slug),
        form=DraftActionForm(),
        refusal=refusal,
        errors=errors,
    ), status


@bp.get("/drafts/<uuid>")
@role_required("educator", "admin")
def draft(uuid: str):
    """Show a draft with its preview links and the way to publish it."""
    return _draft_page(_draft(uuid))


def _refusal(refused: drafts.PublishRefused) -> str:
    detail = refused.detail
    if refused.reason == "older":
        return _(
            "Version %(version)s is older than the published version %(newest)s. "
            "Raise the version in module.toml above %(newest)s and upload again.",
            **detail,
        )
    if refused.reason == "clash":
        return _(
            "Version %(version)s is already published with other content. Raise the "
            "version in module.toml and upload the package again.",
            **detail,
        )
    return _("This draft has already been published.")


@bp.post("/drafts/<uuid>/publish")
@role_required("educator", "admin")
def publish(uuid: str):
    """Publish a draft as the module's new current version."""
    draft = _draft(uuid)
    if not DraftActionForm().validate_on_submit():
        abort(400)
    try:
        version, created = drafts.publish_draft(draft)
    except drafts.PublishRefused as refused:
        return _draft_page(draft, 409, refusal=_refusal(refused))
    except drafts.PackageProblems as problems:
        return _draft_page(draft, 409, errors=problems.errors)
    if created:
        flash(
            _("Version %(version)s is published.", version=version.version), "success"
        )
    else:
        flash(
            _(
                "Version %(version)s was already published with the same content. "
                "Nothing changed.",
                version=version.version,
            ),
            "info",
        )
    return redirect(url_for("authoring.draft", uuid=draft.uuid))


@bp.post("/drafts/<uuid>/discard")
@role_required("educator", "admin")
def discard(uuid: str):
    """Delete a draft."""
    draft = _draft(uuid)
    if not DraftActionForm().validate_on_submit():
        abort(400)
    drafts.discard_draft(draft)
    flash(_("The draft has been deleted."), "success")
    return redirect(url_for("authoring.index"))


@bp.get("/drafts/<uuid>/preview")
@role_required("educator", "admin")
def preview(uuid: str):
    """Show the draft's module page as a learner sees it, in the chosen language."""
    draft = _draft(uuid)
    return render_template(
        "authoring/preview.html",
        draft=draft,
        module=queries.draft_module(draft),
        other_locale=_other_locale(),
    )


@bp.get("/drafts/<uuid>/preview/<activity_id>")
@role_required("educator", "admin")
def preview_activity(uuid: str, activity_id: str):
    """Show one activity of the draft read-only, with answers for the author."""
    draft = _draft(uuid)
    module = queries.draft_module(draft)
    activity = module.activity(activity_id)
    if activity is None:
        abort(404)
    index = module.activities.index(activity)
    extra = {}
    if activity.kind == "lesson":
        media = url_for("authoring.media", uuid=draft.uuid, path="").rstrip("/")
        extra["html"] = render(activity.content.markdown[current_locale()], media)
    elif activity.kind == "quiz":
        extra["presentation"] = present(activity.content, draft.uuid)
        extra["values"] = MultiDict()
    return render_template(
        "authoring/preview_activity.html",
        draft=draft,
        module=module,
        activity=activity,
        previous=module.activities[index - 1] if index else None,
        following=module.activities[index + 1]
        if index + 1 < len(module.activities)
        else None,
        other_locale=_other_locale(),
        **extra,
    )


def _other_locale() -> str:
    return next(locale for locale in LOCALES if locale != current_locale())


@bp.get("/drafts/<uuid>/media/<path:path>")
@role_required("educator", "admin")
def media(uuid: str, path: str):
    """Serve an image or caption file from a draft package."""
    draft = _draft(uuid)
    content = queries.draft_file(draft, path) if path.startswith("media/") else None
    if media_type(path) is None or content is None:
        abort(404)
    # An uploaded SVG could carry script: never let it run in our origin.
    return media_response(path, content)
