#!/usr/bin/env bash
# The shell step of the GitHub Action (action.yml): install kubectl-strategy,
# the release archive for this runner with its checksum verified, then lint
# with GitHub annotations on stdout and a SARIF file for code scanning.
#
# Inputs (environment):
#   KS_VERSION     release tag, v<version of Cargo.toml>; empty: the action's
#                  own ref when it is such a tag (KS_ACTION_REF), else latest
#   KS_PATHS       what to lint (split on whitespace)        [.]
#   KS_SARIF       the SARIF file to write                   [kubectl-strategy.sarif]
#   KS_FAIL_ON     error|warning|info|never                  [warning]
#   KS_ARGS        more lint arguments (split on whitespace)
#   KS_BIN         a kubectl-strategy to use instead of downloading one
#   KS_REPOSITORY  owner/name of the releases                [kubectl-strategy/kubectl-strategy]
#   KS_DOWNLOAD_BASE  where the archives are (tests use file://)
# Exit code: lint's (0 clean, 1 findings at or above KS_FAIL_ON, 2 error).
set -euo pipefail

ks_target() {
  case "${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" in
    Linux/X64 | Linux/x86_64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64 | Linux/aarch64) echo aarch64-unknown-linux-musl ;;
    macOS/X64 | Darwin/x86_64) echo x86_64-apple-darwin ;;
    macOS/ARM64 | Darwin/arm64) echo aarch64-apple-darwin ;;
    *) echo "::error::kubectl-strategy has no release binary for ${RUNNER_OS:-$(uname -s)}/${RUNNER_ARCH:-$(uname -m)}" >&2; return 2 ;;
  esac
}

# Prints the path of the installed binary.
ks_install() {
  if [ -n "${KS_BIN:-}" ]; then
    echo "$KS_BIN"
    return
  fi
  local version="${KS_VERSION:-}" target asset base dir
  if [ -z "$version" ]; then
    case "${KS_ACTION_REF:-}" in v[0-9]*) version="$KS_ACTION_REF" ;; *) version=latest ;; esac
  fi
  target=$(ks_target)
  asset="kubectl-strategy-${target}.tar.gz"
  if [ -n "${KS_DOWNLOAD_BASE:-}" ]; then
    base="$KS_DOWNLOAD_BASE"
  elif [ "$version" = latest ]; then
    base="https://github.com/${KS_REPOSITORY:-kubectl-strategy/kubectl-strategy}/releases/latest/download"
  else
    base="https://github.com/${KS_REPOSITORY:-kubectl-strategy/kubectl-strategy}/releases/download/${version}"
  fi
  dir=$(mktemp -d)
  # (errexit does not hold inside $(...): every step is chained)
  cd "$dir" >&2 &&
    curl -fsSL --retry 3 -O "${base}/${asset}" -O "${base}/${asset}.sha256" >&2 &&
    if command -v sha256sum >/dev/null; then sha256sum -c "${asset}.sha256" >&2; else shasum -a 256 -c "${asset}.sha256" >&2; fi &&
    tar -xzf "$asset" >&2 &&
    cd - >/dev/null &&
    echo "$dir/kubectl-strategy"
}

ks_lint() {
  local bin="$1" code=0 paths args
  read -r -a paths <<<"${KS_PATHS:-.}"
  read -r -a args <<<"${KS_ARGS:-}"
  if [ -n "${GITHUB_PATH:-}" ]; then dirname "$bin" >>"$GITHUB_PATH"; fi
  "$bin" lint "${paths[@]}" -o github --output-file "sarif=${KS_SARIF:-kubectl-strategy.sarif}" \
    --fail-on "${KS_FAIL_ON:-warning}" ${args[@]+"${args[@]}"} || code=$?
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "sarif-file=${KS_SARIF:-kubectl-strategy.sarif}" >>"$GITHUB_OUTPUT"; fi
  return "$code"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  bin=$(ks_install) || exit 2
  ks_lint "$bin"
fi
