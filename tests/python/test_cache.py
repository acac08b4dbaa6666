"""Build caches (issue #3): the S3 cache and the LOCAL cache (LOCAL_CUSTOM_CACHE,
LOCAL_SOURCE_CACHE, LOCAL_DOCKER_LAYER_CACHE), restored before INSTALL and saved in
UPLOAD_ARTIFACTS of succeeding builds, with `cache.paths`, `cache.key`, `cache.fallback-keys`
and `cache.action`; InvalidateProjectCache; `cacheOverride`. Each test checks what the next
build of the project sees, through its exported variables, and what the log says."""

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from kilntest import s3 as s3test
from kilntest.builds import create_project, exported, log_text, no_source, run_build, uniq
from kilntest.gitrepo import Repo


def cache_buildspec(paths, *, key=None, fallback_keys=None, action=None, build=None) -> str:
    """A buildspec that reports what the cache brought (FOUND: deps/marker, or `none`), then
    writes deps/marker with $MARKER (the build number by default)."""
    q = json.dumps
    commands = build or [
        "if [ -f deps/marker ]; then FOUND=$(cat deps/marker); else FOUND=none; fi",
        "mkdir -p deps && echo \"${MARKER:-build $CODEBUILD_BUILD_NUMBER}\" > deps/marker",
    ]
    lines = ["version: 0.2", "env:", "  exported-variables: [FOUND]", "phases:", "  build:", "    commands:"]
    lines += [f"      - {q(c)}" for c in commands]
    lines += ["cache:", "  paths:"] + [f"    - {q(p)}" for p in paths]
    if key is not None:
        lines.append(f"  key: {q(key)}")
    if fallback_keys:
        lines += ["  fallback-keys:"] + [f"    - {q(k)}" for k in fallback_keys]
    if action is not None:
        lines.append(f"  action: {action}")
    return "\n".join(lines) + "\n"


def bucket(kiln) -> tuple:
    s3 = s3test.client(kiln.endpoint)
    name = uniq("cache").lower()
    s3.create_bucket(Bucket=name)
    return s3, name


def keys_in(s3, bucket_name: str, prefix: str = "") -> list[str]:
    listing = s3.list_objects_v2(Bucket=bucket_name, Prefix=prefix)
    return sorted(o["Key"] for o in listing.get("Contents", []))


def build_with(cb, project: str, **start) -> dict:
    build = run_build(cb, projectName=project, **start)
    assert build["buildStatus"] == "SUCCEEDED", build["phases"]
    return build


def env(**values) -> list[dict]:
    return [{"name": k, "value": v, "type": "PLAINTEXT"} for k, v in values.items()]


def test_s3_cache_carries_paths_to_the_next_build(kiln, cb, logs):
    s3, name = bucket(kiln)
    spec = cache_buildspec(
        ["deps/**/*", "$HOME/.m2/**/*", "/tmp/tool-cache/**/*", "/root/.gradle/**/*"],
        build=[
            "if [ -f deps/marker ]; then FOUND=$(cat deps/marker); else FOUND=none; fi",
            "if [ -f $HOME/.m2/settings ]; then FOUND=\"$FOUND+m2\"; fi",
            "if [ -f /tmp/tool-cache/x ]; then FOUND=\"$FOUND+tmp\"; fi",
            "mkdir -p deps $HOME/.m2 /tmp/tool-cache",
            "echo \"build $CODEBUILD_BUILD_NUMBER\" > deps/marker && echo m2 > $HOME/.m2/settings",
            "echo tmp > /tmp/tool-cache/x",
        ])
    project = create_project(cb, uniq("s3-cache"), source=no_source(spec),
                             cache={"type": "S3", "location": f"{name}/team"})["name"]
    first = build_with(cb, project)
    assert exported(first)["FOUND"] == "none"
    text = log_text(logs, first)
    assert "Skipping cache path /root/.gradle/**/*: it is outside the build's writable directories" in text
    assert "No cache found: the first build of these paths" in text
    assert text.index("Entering phase UPLOAD_ARTIFACTS") < text.index("Uploading S3 cache...")
    saved = keys_in(s3, name)
    assert len(saved) == 1 and saved[0].startswith(f"team/{project}/") and saved[0].endswith("/default"), saved
    assert f"to s3://{name}/{saved[0]}" in text

    second = build_with(cb, project)
    sandboxed = "sandbox: bubblewrap" in text
    assert exported(second)["FOUND"] == "build 1+m2" + ("+tmp" if sandboxed else "")
    text = log_text(logs, second)
    assert text.index("Restored ") < text.index("Entering phase INSTALL"), "restored before INSTALL"
    assert f"Restoring cache from s3://{name}/{saved[0]}" in text
    # Without a key the project's one cache is replaced by each successful build.
    assert keys_in(s3, name) == saved
    assert exported(build_with(cb, project))["FOUND"].startswith("build 2")


def test_local_custom_cache_and_docker_layer_mode(kiln, cb, logs):
    project = create_project(
        cb, uniq("local-cache"), source=no_source(cache_buildspec(["deps"])),
        cache={"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE", "LOCAL_DOCKER_LAYER_CACHE"]})["name"]
    first = build_with(cb, project)
    assert exported(first)["FOUND"] == "none"
    text = log_text(logs, first)
    assert "LOCAL_DOCKER_LAYER_CACHE is not applicable: this executor runs no Docker daemon" in text
    assert "Saving local cache..." in text
    assert (kiln.server.data_dir / "cache" / project / "custom").is_dir()
    second = build_with(cb, project)
    assert exported(second)["FOUND"] == "build 1"
    assert "Restoring local cache..." in log_text(logs, second)


def test_local_cache_without_custom_mode_keeps_no_paths(cb, logs):
    project = create_project(cb, uniq("local-docker"), source=no_source(cache_buildspec(["deps"])),
                             cache={"type": "LOCAL", "modes": ["LOCAL_DOCKER_LAYER_CACHE"]})["name"]
    build_with(cb, project)
    second = build_with(cb, project)
    assert exported(second)["FOUND"] == "none"
    assert "cache.paths are not cached: the project's LOCAL cache has no LOCAL_CUSTOM_CACHE mode" in log_text(
        logs, second)


def test_keys_fallback_keys_and_immutability(kiln, cb, logs):
    s3, name = bucket(kiln)
    spec = cache_buildspec(["deps/**/*"], key="deps-$LOCK", fallback_keys=["deps-", "other-"])
    project = create_project(cb, uniq("keyed"), source=no_source(spec),
                             cache={"type": "S3", "location": name})["name"]
    a = build_with(cb, project, environmentVariablesOverride=env(LOCK="a", MARKER="saved under a"))
    assert exported(a)["FOUND"] == "none"
    assert "No cache found for key deps-a or fallback keys deps-, other-" in log_text(logs, a)

    # A new key misses, the fallback prefix finds deps-a; the build saves deps-b.
    b = build_with(cb, project, environmentVariablesOverride=env(LOCK="b", MARKER="saved under b"))
    assert exported(b)["FOUND"] == "saved under a"
    assert "Restoring cache (key deps-a)" in log_text(logs, b)

    # The exact key wins over newer fallbacks, and a key's cache is never replaced.
    again = build_with(cb, project, environmentVariablesOverride=env(LOCK="a", MARKER="not saved"))
    assert exported(again)["FOUND"] == "saved under a"
    assert "A cache with key deps-a exists already and is never updated: not saving" in log_text(logs, again)
    assert exported(build_with(cb, project, environmentVariablesOverride=env(LOCK="a")))["FOUND"] == "saved under a"

    # With several matches, the newest cache of the prefix is restored.
    newest = build_with(cb, project, environmentVariablesOverride=env(LOCK="c"))
    assert exported(newest)["FOUND"] == "saved under b"
    stored = [k.rsplit("/", 1)[1] for k in keys_in(s3, name)]
    assert stored == ["deps-a", "deps-b", "deps-c"]


def test_dynamic_key_from_codebuild_hash_files(kiln, cb, tmp_path):
    s3, name = bucket(kiln)
    repo = Repo(tmp_path / "repo")
    spec = cache_buildspec(["deps/**/*"], key="lock-$(codebuild-hash-files lock.txt)", build=[
        "if [ -f deps/marker ]; then FOUND=$(cat deps/marker); else FOUND=none; fi",
        "mkdir -p deps && echo cached > deps/marker",
        "HASH=$(codebuild-hash-files lock.txt)",
    ]).replace("exported-variables: [FOUND]", "exported-variables: [FOUND, HASH]")
    repo.commit({"buildspec.yml": spec, "lock.txt": "dependencies v1\n"})
    project = create_project(cb, uniq("hash-files"), source={"type": "CODECOMMIT", "location": repo.url},
                             cache={"type": "S3", "location": name})["name"]
    first = build_with(cb, project)
    content = hashlib.sha256(b"dependencies v1\n").hexdigest()
    expected = hashlib.sha256(f"lock.txt\0{content}\n".encode()).hexdigest()
    assert exported(first)["HASH"] == expected
    assert [k.rsplit("/", 1)[1] for k in keys_in(s3, name)] == [f"lock-{expected}"]
    assert exported(build_with(cb, project))["FOUND"] == "cached"

    # A changed lock file is a new key: no cache for it (and no fallback key).
    repo.commit({"lock.txt": "dependencies v2\n"})
    assert exported(build_with(cb, project))["FOUND"] == "none"
    assert len(keys_in(s3, name)) == 2


def test_actions_restore_and_save(kiln, cb, logs):
    _, name = bucket(kiln)
    paths = ["deps/**/*"]
    project = create_project(cb, uniq("actions"), source=no_source(cache_buildspec(paths)),
                             cache={"type": "S3", "location": name})["name"]
    save_only = build_with(cb, project, buildspecOverride=cache_buildspec(paths, action="save"),
                           environmentVariablesOverride=env(MARKER="one"))
    assert "Cache action is save: the cache is not restored" in log_text(logs, save_only)
    also_save_only = build_with(cb, project, buildspecOverride=cache_buildspec(paths, action="save"),
                                environmentVariablesOverride=env(MARKER="two"))
    assert exported(also_save_only)["FOUND"] == "none", "action save never restores"

    restore_only = build_with(cb, project, buildspecOverride=cache_buildspec(paths, action="restore"),
                              environmentVariablesOverride=env(MARKER="three"))
    assert exported(restore_only)["FOUND"] == "two"
    assert "Uploading S3 cache..." not in log_text(logs, restore_only)
    assert exported(build_with(cb, project))["FOUND"] == "two", "action restore never saves"


def test_a_failed_build_saves_nothing(kiln, cb, logs):
    s3, name = bucket(kiln)
    failing = cache_buildspec(["deps/**/*"], build=["mkdir -p deps && echo failed > deps/marker", "false"])
    project = create_project(cb, uniq("failed-cache"), source=no_source(cache_buildspec(["deps/**/*"])),
                             cache={"type": "S3", "location": name})["name"]
    failed = run_build(cb, projectName=project, buildspecOverride=failing)
    assert failed["buildStatus"] == "FAILED"
    assert "Uploading S3 cache..." not in log_text(logs, failed)
    assert keys_in(s3, name) == []
    assert exported(build_with(cb, project))["FOUND"] == "none"


def test_invalidate_project_cache_empties_it(kiln, cb):
    s3, name = bucket(kiln)
    spec = no_source(cache_buildspec(["deps"]))
    s3_project = create_project(cb, uniq("invalidate-s3"), source=spec,
                                cache={"type": "S3", "location": f"{name}/p"})["name"]
    local_project = create_project(cb, uniq("invalidate-local"), source=spec,
                                   cache={"type": "LOCAL", "modes": ["LOCAL_CUSTOM_CACHE"]})["name"]
    s3.put_object(Bucket=name, Key="p/unrelated", Body=b"stays")
    for project in (s3_project, local_project):
        build_with(cb, project)
        assert exported(build_with(cb, project))["FOUND"] == "build 1"
        assert cb.invalidate_project_cache(projectName=project)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert exported(build_with(cb, project))["FOUND"] == "none", "the cache was emptied"
    assert keys_in(s3, name, f"p/{s3_project}/") != [], "the last build saved again"
    assert "p/unrelated" in keys_in(s3, name)
    with pytest.raises(ClientError) as missing:
        cb.invalidate_project_cache(projectName=uniq("no-such-project"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_cache_override_on_start_build(kiln, cb, logs):
    s3, name = bucket(kiln)
    project = create_project(cb, uniq("override-cache"), source=no_source(cache_buildspec(["deps/**/*"])))
    assert project["cache"] == {"type": "NO_CACHE"}
    override = {"type": "S3", "location": name}
    first = build_with(cb, project["name"], cacheOverride=override)
    assert first["cache"] == override
    assert keys_in(s3, name) != []
    assert exported(build_with(cb, project["name"], cacheOverride=override))["FOUND"] == "build 1"
    plain = build_with(cb, project["name"])
    assert exported(plain)["FOUND"] == "none"
    text = log_text(logs, plain)
    assert "Cache is not defined" not in text and "Restoring cache" not in text and "Uploading S3 cache" not in text


def test_cache_namespace_shares_keys_between_projects(kiln, cb):
    _, name = bucket(kiln)
    cache = {"type": "S3", "location": name, "cacheNamespace": uniq("shared")}
    spec = no_source(cache_buildspec(["deps/**/*"], key="shared-key"))
    producer = create_project(cb, uniq("producer"), source=spec, cache=cache)["name"]
    consumer = create_project(cb, uniq("consumer"), source=spec, cache=cache)["name"]
    loner = create_project(cb, uniq("loner"), source=spec, cache={"type": "S3", "location": name})["name"]
    build_with(cb, producer, environmentVariablesOverride=env(MARKER="from the producer"))
    assert exported(build_with(cb, consumer))["FOUND"] == "from the producer"
    assert exported(build_with(cb, loner))["FOUND"] == "none", "another namespace"


def test_local_source_cache_keeps_git_objects(kiln, cb, logs, tmp_path):
    repo = Repo(tmp_path / "repo")
    spec = "version: 0.2\nenv:\n  exported-variables: [HEAD_SHA]\nphases:\n  build:\n    commands:\n" \
           "      - git fsck --connectivity-only --no-progress\n      - HEAD_SHA=$(git rev-parse HEAD)\n"
    repo.commit({"buildspec.yml": spec, "a.txt": "one"})
    project = create_project(cb, uniq("source-cache"), source={"type": "CODECOMMIT", "location": repo.url},
                             cache={"type": "LOCAL", "modes": ["LOCAL_SOURCE_CACHE"]})["name"]
    first = build_with(cb, project)
    assert "LOCAL_SOURCE_CACHE: keeping this repository's git objects for later builds" in log_text(logs, first)
    mirrors = list((kiln.server.data_dir / "cache" / project / "source").glob("*.git"))
    assert len(mirrors) == 1
    second_commit = repo.commit({"a.txt": "two"})
    second = build_with(cb, project)
    # The checkout is whole without the mirror, which the sandbox does not show.
    assert exported(second)["HEAD_SHA"] == second_commit
    assert "LOCAL_SOURCE_CACHE: fetching with the git objects kept from earlier builds" in log_text(logs, second)


@pytest.mark.parametrize("cache, words", [
    ({"type": "S3"}, "cache.location must be set for cache type S3"),
    ({"type": "S3", "location": "Not_A_Bucket/x"}, "cache.location must be a bucket name"),
    ({"type": "S3", "location": "bucket-1", "modes": ["LOCAL_SOURCE_CACHE"]}, "cache.modes can only be set"),
    ({"type": "LOCAL"}, "cache.modes must list at least one mode for cache type LOCAL"),
    ({"type": "NO_CACHE", "location": "bucket-1"}, "cache.location cannot be set for cache type NO_CACHE"),
])
def test_bad_cache_settings_are_rejected(cb, cache, words):
    with pytest.raises(ClientError) as created:
        create_project(cb, uniq("bad-cache"), cache=cache)
    assert created.value.response["Error"]["Code"] == "InvalidInputException"
    assert words in created.value.response["Error"]["Message"]

    project = create_project(cb, uniq("bad-cache-override"))["name"]
    with pytest.raises(ClientError) as updated:
        cb.update_project(name=project, cache=cache)
    assert updated.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(ClientError) as started:
        cb.start_build(projectName=project, cacheOverride=cache)
    assert started.value.response["Error"]["Code"] == "InvalidInputException"
    assert words.replace("cache.", "cacheOverride.") in started.value.response["Error"]["Message"]
