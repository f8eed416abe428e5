"""Find module packages on disk, check them, and load them into a catalog."""

from __future__ import annotations

from pathlib import Path

from .errors import PackageError, PackageInvalid
from .framework import read_framework
from .model import Catalog, Framework, Module
from .package import MODULE_FILE, read_module, sort_errors
from .programmes import PROGRAMMES_FILE, Programme, read_programmes

FRAMEWORK_FILE = "competences.toml"


def shipped_root() -> Path:
    """Return the folder of the modules that ship with the platform."""
    return Path(__file__).parent


def read_package(path: Path) -> dict[str, bytes]:
    """Read a package folder into {relative posix path: bytes}, skipping hidden."""
    files = {}
    for file in sorted(path.rglob("*")):
        relative = file.relative_to(path)
        if file.is_file() and not _skipped(relative.parts):
            files[relative.as_posix()] = file.read_bytes()
    return files


def _skipped(parts: tuple[str, ...]) -> bool:
    """Tell whether a path is hidden or a Python cache."""
    return any(part.startswith(".") or part == "__pycache__" for part in parts)


def check_path(path: Path) -> list[PackageError]:
    """Check a module folder, or a folder of modules with its framework."""
    if (path / MODULE_FILE).is_file():
        return _check_module_folder(path)
    if (path / FRAMEWORK_FILE).is_file() or _module_folders(path):
        return _read_catalog(path)[3]
    message = (
        "neither a module folder (no module.toml) nor a folder of modules "
        "(no competences.toml and no sub-folders with module.toml)"
    )
    return [PackageError(path.name or str(path), None, message)]


def load_catalog(root: Path) -> Catalog:
    """Load the framework and every module under root; raise on any error."""
    framework, modules, programmes, errors = _read_catalog(root)
    if errors or framework is None:
        raise PackageInvalid(errors)
    return Catalog(framework, modules, programmes)


def _check_module_folder(path: Path) -> list[PackageError]:
    """Check one package against the framework beside it, or the shipped one."""
    errors: list[PackageError] = []
    framework = _read_framework(path.parent, errors)
    read_module(read_package(path), framework, path.name, errors)
    return sort_errors(errors)


def _read_catalog(
    root: Path,
) -> tuple[
    Framework | None, dict[str, Module], dict[str, Programme], list[PackageError]
]:
    """Read the framework, every package and the programmes, collecting errors."""
    errors: list[PackageError] = []
    framework = _read_framework(root, errors)
    modules = {}
    for folder in _module_folders(root):
        module = read_module(read_package(folder), framework, folder.name, errors)
        if module is not None:
            modules[module.slug] = module
    for folder in _stray_folders(root):
        message = "folder has no module.toml; every sub-folder must be a module"
        errors.append(PackageError(folder.name, None, message))
    programmes = _read_programmes(root, errors)
    return framework, modules, programmes, sort_errors(errors)


def _read_programmes(root: Path, errors: list[PackageError]) -> dict[str, Programme]:
    """Read programmes.toml if root has one, against the module folders found."""
    path = root / PROGRAMMES_FILE
    if not path.is_file():
        return {}
    slugs = {folder.name for folder in _module_folders(root)}
    programmes = read_programmes(path.read_bytes(), slugs, PROGRAMMES_FILE, errors)
    return {programme.slug: programme for programme in programmes}


def _read_framework(folder: Path, errors: list[PackageError]) -> Framework | None:
    """Read competences.toml from folder, or else the shipped framework."""
    path = folder / FRAMEWORK_FILE
    if not path.is_file():
        path = shipped_root() / FRAMEWORK_FILE
    return read_framework(path.read_bytes(), FRAMEWORK_FILE, errors)


def _module_folders(root: Path) -> list[Path]:
    """Return the sub-folders of root that hold a module.toml, by name."""
    return [folder for folder in _sub_folders(root) if (folder / MODULE_FILE).is_file()]


def _stray_folders(root: Path) -> list[Path]:
    """Return sub-folders that look like modules but have no module.toml."""
    return [
        folder
        for folder in _sub_folders(root)
        if not (folder / MODULE_FILE).is_file() and not folder.name.startswith("_")
    ]


def _sub_folders(root: Path) -> list[Path]:
    """Return the visible sub-folders of root, sorted by name."""
    if not root.is_dir():
        return []
    return sorted(
        path for path in root.iterdir() if path.is_dir() and not _skipped((path.name,))
    )
