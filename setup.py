"""Build hook: a built package (wheel) carries the repository's schema/, mkdocs.yml, docs/ and sample settings.

They stay in one place in git (records name `../../schema/household.schema.json`); building copies them into
`generator/_shipped/` with the same relative paths, so a regular `pip install .` finds them next to the code
(generator.RESOURCES). An editable install reads them from the repository itself.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("schema/*.json", "mkdocs.yml", "docs/**/*.md", "records/_settings/*.yaml")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "generator" / "_shipped"
        shutil.rmtree(target, ignore_errors=True)
        for pattern in SHIPPED:
            found = [p for p in sorted(HERE.glob(pattern)) if p.is_file() and not p.is_symlink()]
            if not found:
                raise SystemExit(f"bangfu build: nothing matches {pattern} in {HERE}; the package would be incomplete")
            for source in found:
                copy = target / source.relative_to(HERE)
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, copy)


setup(cmdclass={"build_py": BuildWithResources})
