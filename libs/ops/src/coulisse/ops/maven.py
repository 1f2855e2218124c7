"""Maven, run the same way for every artifact the local run takes from Maven Central (Kafka's
jars, Zipkin's executable jar): the project's own local repository under `.cache/m2`, a pinned
plugin (so a cached fetch works offline), progress reported line by line."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence

from coulisse.ops.paths import Layout

Status = Callable[[str], None]

DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
"""The version deploy/kafka/pom.xml pins too: one plugin in the cache serves both."""


class MavenMissing(RuntimeError):
    pass


def run(
    paths: Layout, arguments: Sequence[str], *, offline: bool, status: Status, what: str
) -> tuple[int, str]:
    """`mvn <arguments>`; returns the exit code and the end of its output."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MavenMissing(f"Maven (mvn) is not on PATH: it is needed once to fetch {what}")
    command = [mvn, "-B", "-Dstyle.color=never", f"-Dmaven.repo.local={paths.maven_repo}"]
    if offline:
        command.append("-o")
    process = subprocess.Popen(
        [*command, *arguments],
        cwd=paths.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    transcript: list[str] = []
    downloaded = 0
    for line in process.stdout:
        transcript.append(line)
        # "Downloaded from <repo>: <url> (12 kB at 30 kB/s)": show the artifact being fetched.
        found = re.match(r"^Download(ing|ed) from [^:]+: (\S+)", line.strip())
        if found:
            if found.group(1) == "ed":
                downloaded += 1
            status(f"fetching {what} ({downloaded} files): {found.group(2).rsplit('/', 1)[-1]}")
    return process.wait(), "".join(transcript[-40:])
