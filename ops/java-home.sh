#!/usr/bin/env bash
# Prints the home of a JDK >= 25, or explains what is missing and exits 1.
# Looks at $ABLATE_JAVA_HOME, $JAVA_HOME, `java` on the PATH, then the usual install folders.
set -u
need=25

major() {  # the feature version of the JDK at $1, or 0
  local v
  [[ -x "$1/bin/java" && -x "$1/bin/javac" ]] || { echo 0; return; }
  v=$("$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p')
  [[ $v =~ ^[0-9]+$ ]] && echo "$v" || echo 0
}

candidates=()
[[ -n ${ABLATE_JAVA_HOME:-} ]] && candidates+=("$ABLATE_JAVA_HOME")
[[ -n ${JAVA_HOME:-} ]] && candidates+=("$JAVA_HOME")
if command -v java >/dev/null 2>&1; then
  candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
fi
for d in /usr/lib/jvm/* /usr/local/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
  [[ -d $d ]] && candidates+=("$d")
done

best="" best_v=0
for c in "${candidates[@]}"; do
  v=$(major "$c")
  if (( v >= need && v > best_v )); then best=$c best_v=$v; fi
done
if [[ -z $best ]]; then
  echo "ablate needs a JDK $need or newer (with javac); none found in ABLATE_JAVA_HOME, JAVA_HOME, PATH or /usr/lib/jvm." >&2
  echo "Install one (e.g. Temurin 25) and set ABLATE_JAVA_HOME to its folder." >&2
  exit 1
fi
echo "$best"
