"""Uploading the contract's CSV files (/manage/import): check and preview
with a rolled-back import, then confirm with the same service as the CLI."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..agencies.models import Role
from ..imports.services import ImportFailed, import_files
from . import bp, uploads
from .forms import ConfirmImportForm, DiscardImportForm, UploadForm
from .views import COORDINATOR, current_actor


# -- import --------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@COORDINATOR
def upload():
    """Upload the contract's CSV files; nothing is written until confirmed."""
    form = UploadForm()
    if request.method == "GET":
        uploads.discard()
    if form.validate_on_submit():
        chosen = form.files()
        if not chosen:
            form.agencies.errors = ["Choose at least one CSV file"]
        else:
            try:
                sources = {name: uploads.read_limited(name, storage.stream)
                           for name, storage in chosen.items()}
            except uploads.UploadTooLarge as error:
                form.agencies.errors = [str(error)]
            else:
                return _preview(sources)
    return render_template("scheduling/upload.html", form=form)


def _preview(sources: dict[str, bytes]):
    allow_admin = current_user.role is Role.ADMIN
    try:
        results = import_files(sources, current_actor().id, dry_run=True, allow_admin=allow_admin)
    except ImportFailed as failed:
        uploads.discard()
        return render_template("scheduling/preview.html", results=None, problems=failed.problems,
                               files=sorted(sources), form=DiscardImportForm()), 422
    uploads.stash(sources, current_user.id)
    return render_template("scheduling/preview.html", results=results, problems=[],
                           files=sorted(sources), form=ConfirmImportForm(),
                           discard_form=DiscardImportForm())


@bp.post("/import/confirm")
@COORDINATOR
def confirm_import():
    form = ConfirmImportForm()
    sources = uploads.load(current_user.id)
    if not form.validate_on_submit() or sources is None:
        flash("Upload the files again: the checked files are no longer available.", "info")
        return redirect(url_for("scheduling.upload"))
    try:
        results = import_files(sources, current_actor().id,
                               allow_admin=current_user.role is Role.ADMIN)
    except ImportFailed as failed:
        # The data changed since the preview; show what is wrong now.
        uploads.discard()
        return render_template("scheduling/preview.html", results=None, problems=failed.problems,
                               files=sorted(sources), form=DiscardImportForm()), 422
    uploads.discard()
    flash("Import complete. " + "; ".join(str(r) for r in results) + ".", "success")
    return redirect(url_for("scheduling.upload"))


@bp.post("/import/discard")
@COORDINATOR
def discard_import():
    uploads.discard()
    return redirect(url_for("scheduling.upload"))
