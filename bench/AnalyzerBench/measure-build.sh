#!/usr/bin/env bash
# Analyzer cost in a real build: builds a project of this repository with and without the PinAnalyzers
# analyzers attached (attach-analyzers.targets, no project edited), -p:ReportAnalyzer=true -v:d, alternating
# runs, and prints per run: the build's wall time, the compiler's wall/user/sys time (csc is run out of
# process through a timing wrapper, so its CPU time is measured exactly), the "Total analyzer execution time"
# and the PinAnalyzers lines. Works on a copy of the repository, so the checkout's bin/ and obj/ are untouched.
#
#   bench/AnalyzerBench/measure-build.sh [project (default tests/PinAnalyzers.Tests.csproj)] [runs (default 3)]
#
# Environment: WORK (default /tmp/pinanalyzers-measure) holds the copy, the analyzer DLL and the logs.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
project=${1:-tests/PinAnalyzers.Tests.csproj}
runs=${2:-3}
work=${WORK:-/tmp/pinanalyzers-measure}
copy=$work/repo
logs=$work/logs
mkdir -p "$copy" "$logs" "$work/analyzer" "$work/cscwrap"

# 1. A copy of the working tree (tracked and untracked files, no bin/obj).
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$copy/" 2>/dev/null || true)

# 2. The analyzer, built once and copied aside: the measured build may rebuild analyzer/ itself.
dotnet build "$copy/analyzer/PinAnalyzers.csproj" -c Release -v:q -nologo > "$logs/analyzer-build.log" 2>&1
cp "$copy/analyzer/bin/Release/netstandard2.0/PinAnalyzers.dll" "$work/analyzer/"

# 3. The project and its references, built once (restore, dependencies), so the timed runs compile only it.
dotnet build "$copy/$project" -c Release -v:q -nologo -p:TreatWarningsAsErrors=false > "$logs/prepare.log" 2>&1

# 4. A csc wrapper that records wall, user and sys seconds of every compiler run.
sdk=$(cd "$copy" && dotnet --version)
sdkdir=$(dotnet --list-sdks | awk -v v="$sdk" '$1 == v { gsub(/[][]/, "", $2); print $2 "/" v }')
cat > "$work/cscwrap/csc" <<EOF
#!/usr/bin/env bash
exec /usr/bin/time -a -o "\${CSC_TIMES:-$logs/csc-times.txt}" -f "%e %U %S" "$sdkdir/Roslyn/bincore/csc" "\$@"
EOF
chmod +x "$work/cscwrap/csc"

common=(-c Release --no-incremental --no-dependencies -nologo -nodeReuse:false -v:d
        -p:ReportAnalyzer=true -p:TreatWarningsAsErrors=false
        -p:UseSharedCompilation=false "-p:CscToolPath=$work/cscwrap" -p:CscToolExe=csc)
attach=("-p:CustomAfterMicrosoftCommonTargets=$repo/bench/AnalyzerBench/attach-analyzers.targets"
        "-p:PinAnalyzersDll=$work/analyzer/PinAnalyzers.dll")

cd "$copy"
CSC_TIMES=$logs/warm.csc dotnet build "$project" "${common[@]}" > "$logs/warm.log" 2>&1 || true
TIMEFORMAT='%R'
for i in $(seq 1 "$runs"); do
  for mode in with without; do
    extra=()
    [ "$mode" = with ] && extra=("${attach[@]}")
    log=$logs/$mode-$i.log
    rm -f "$logs/$mode-$i.csc"
    load=$(cut -d' ' -f1 /proc/loadavg)
    wall=$( { time CSC_TIMES=$logs/$mode-$i.csc dotnet build "$project" "${common[@]}" "${extra[@]}" > "$log" 2>&1 ; } 2>&1 )
    # One compiler run per target framework; -v:d prints each report twice (task output and summary): keep the first.
    compiles=$(wc -l < "$logs/$mode-$i.csc")
    total=$(grep "Total analyzer execution time" "$log" | head -n "$compiles" | grep -o '[0-9.]* seconds' | paste -sd' ' || true)
    pins=$(grep -E "^ +[0-9.]+ +[<0-9]+ +PinAnalyzers, Version" "$log" | head -n "$compiles" | awk '{print $1 " s (" $2 "%)"}' | paste -sd' ' || true)
    echo "$mode run $i: build wall ${wall}s; csc wall/user/sys per compile: $(paste -sd';' "$logs/$mode-$i.csc"); load $load; total analyzer time: ${total:-?}; PinAnalyzers: ${pins:-none}"
    if [ "$mode" = with ]; then
      grep -E "^ +[0-9.<]+ +[<0-9]+ +PinAnalyzers\.[A-Za-z]+Analyzer " "$log" | head -n $((4 * compiles)) | sed 's/^ */    /'
    fi
  done
done
echo "logs: $logs"
