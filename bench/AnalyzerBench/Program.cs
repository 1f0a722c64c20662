using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PinAnalyzers.AnalyzerBench
{
    /// <summary>
    /// Throughput of the PinAnalyzers analyzers: an in-memory compilation of generated code without pins and
    /// with N pin sites (or of real sources, <c>--source DIR</c>), all analyzers run through
    /// <see cref="CompilationWithAnalyzers"/> with execution-time logging. Prints per-analyzer execution time,
    /// wall and process CPU time (medians of the measured iterations) and a fit "a + b per 100 pins". README.md.
    /// </summary>
    internal static class Program
    {
        private const string ImplicitUsings = """
            global using global::System;
            global using global::System.Collections.Generic;
            global using global::System.IO;
            global using global::System.Linq;
            global using global::System.Net.Http;
            global using global::System.Threading;
            global using global::System.Threading.Tasks;
            """;

        /// <summary>True when a project file or Directory.Build.props under <paramref name="root"/> turns on implicit usings.</summary>
        private static bool UsesImplicitUsings(string root)
        {
            foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories))
            {
                var name = Path.GetFileName(file);
                if (!(name.EndsWith(".csproj", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".props", StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                var text = File.ReadAllText(file);
                if (text.Contains("<ImplicitUsings>enable</ImplicitUsings>", StringComparison.OrdinalIgnoreCase)
                    || text.Contains("<ImplicitUsings>true</ImplicitUsings>", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            return false;
        }

        private static async Task<int> Main(string[] args)
        {
            Options options;
            try
            {
                options = Options.Parse(args);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
            {
                Console.Error.WriteLine(e.Message);
                Console.Error.WriteLine(Options.Usage);
                return 2;
            }

            if (options.Help)
            {
                Console.WriteLine(Options.Usage);
                return 0;
            }

            if (options.Source is null && options.Pins.Max() > CodeGenerator.Capacity(options.Methods))
            {
                Console.Error.WriteLine(Inv($"at most {CodeGenerator.Capacity(options.Methods)} pin sites fit in {options.Methods} methods (one per non-async method)"));
                return 2;
            }

            var total = Stopwatch.StartNew();
            var analyzers = LoadAnalyzers(options.AnalyzerFilter);
            var bench = new Bench(analyzers, options);

            Console.WriteLine(options.Source is null
                ? Inv($"AnalyzerBench: {options.Methods:N0} generated methods ({CodeGenerator.MethodsPerClass} per class and file), pins {string.Join(", ", options.Pins)}; {options.Iterations} measured iterations per scenario, medians")
                : Inv($"AnalyzerBench: sources under {options.Source}; {options.Iterations} measured iterations, medians"));
            Console.WriteLine(Inv($"  Roslyn {typeof(CSharpCompilation).Assembly.GetName().Version}, .NET {Environment.Version}, {Environment.ProcessorCount} cores, load average {LoadAverage()}, concurrent analysis: {options.Concurrent}"));
            Console.WriteLine(Inv($"  analyzers: {string.Join(", ", analyzers.Select(Name))} from {Path.GetFileName(AnalyzerAssembly.Location)}{(options.Floor ? "; plus " + nameof(FloorAnalyzer) : string.Empty)}"));
            Console.WriteLine("  exec  = AnalyzerTelemetryInfo.ExecutionTime (wall time inside the analyzer's callbacks);");
            Console.WriteLine("  floor = FloorAnalyzer, run alongside: the same registrations as PinAnalyzers (operation-block start, operation");
            Console.WriteLine("          action on invocations/creations/declarators, block end), all empty: what any analyzer of this shape pays;");
            Console.WriteLine("  run   = wall and process CPU of GetAnalyzerDiagnosticsAsync (binding, operation trees, all analyzers);");
            Console.WriteLine("  compile = compilation.GetDiagnostics() with no analyzer, once per scenario (not with --quick).");
            if (options.Source is null)
            {
                Console.WriteLine(options.Kind is { } kind
                    ? Program.Inv($"  pin blocks: kind {kind} only")
                    : "  pin blocks, in rotation: " + string.Join("; ", CodeGenerator.PinKinds));
            }

            Console.WriteLine();
            await bench.WarmUpAsync().ConfigureAwait(false);

            var results = new List<ScenarioResult>();
            if (options.Source is not null)
            {
                var files = Directory.EnumerateFiles(options.Source, "*.cs", SearchOption.AllDirectories)
                    .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
                    .OrderBy(f => f, StringComparer.Ordinal)
                    .Select(f => (Path.GetRelativePath(options.Source, f), File.ReadAllText(f)))
                    .ToList();
                if (UsesImplicitUsings(options.Source))
                {
                    // The SDK's global usings for Microsoft.NET.Sdk projects, as a build with <ImplicitUsings> adds them.
                    files.Add(("(implicit usings).g.cs", ImplicitUsings));
                    Console.WriteLine("implicit usings: on (a project file under the source root enables them)");
                }

                results.Add(await bench.RunAsync(options.Source, 0, 0, files, withLeaseLibrary: false).ConfigureAwait(false));
            }
            else
            {
                foreach (var pins in options.Pins)
                {
                    results.Add(await bench.RunAsync(null, options.Methods, pins, CodeGenerator.Generate(options.Methods, pins, options.Kind), withLeaseLibrary: true).ConfigureAwait(false));
                }

                if (options.HalfSize && options.Methods >= 2 && options.Pins.Contains(0))
                {
                    var half = options.Methods / 2;
                    results.Add(await bench.RunAsync(null, half, 0, CodeGenerator.Generate(half, 0, options.Kind), withLeaseLibrary: true).ConfigureAwait(false));
                }

                PrintSummary(results, analyzers, options);
            }

            Console.WriteLine(Inv($"total bench time {total.Elapsed.TotalSeconds:F1} s, load average at the end {LoadAverage()}"));
            return results.Any(r => r.Exceptions.Count > 0) ? 1 : 0;
        }

        /// <summary>PinAnalyzers.dll, by name: the bench depends on no type of it, only on its analyzers.</summary>
        internal static System.Reflection.Assembly AnalyzerAssembly { get; } = System.Reflection.Assembly.Load(new System.Reflection.AssemblyName("PinAnalyzers"));

        /// <summary>PinAnalyzers.Leases.dll, referenced by the generated code's compilation.</summary>
        internal static System.Reflection.Assembly LeaseAssembly { get; } = System.Reflection.Assembly.Load(new System.Reflection.AssemblyName("PinAnalyzers.Leases"));

        private static ImmutableArray<DiagnosticAnalyzer> LoadAnalyzers(string? filter)
        {
            var all = AnalyzerAssembly.GetTypes()
                .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
                .Where(t => filter is null || t.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
                .OrderBy(t => t.Name, StringComparer.Ordinal)
                .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
                .ToImmutableArray();
            return all.IsEmpty ? throw new InvalidOperationException("no analyzer matches " + filter) : all;
        }

        private static void PrintSummary(List<ScenarioResult> results, ImmutableArray<DiagnosticAnalyzer> analyzers, Options options)
        {
            var sameSize = results.Where(r => r.Methods == options.Methods).OrderBy(r => r.Pins).ToList();
            if (sameSize.Count == 0)
            {
                return;
            }

            Console.WriteLine(Inv($"Summary: medians in ms, {options.Methods:N0} methods"));
            Console.Write(Inv($"  {string.Empty,-30}"));
            foreach (var r in sameSize)
            {
                Console.Write(Inv($" {r.Pins + " pins",10}"));
            }

            Console.WriteLine(Inv($"  {"fit: a + b per 100 pins",26}"));
            var rows = analyzers.Select(a => (Name: "exec " + Name(a), Values: sameSize.Select(r => r.Execution(a).Median.TotalMilliseconds).ToArray())).ToList();
            var sumRow = rows.Count;
            rows.Add(("exec, sum of PinAnalyzers", sameSize.Select(r => r.SumExecution(analyzers)).ToArray()));
            if (options.Floor)
            {
                rows.Add(("exec " + nameof(FloorAnalyzer), sameSize.Select(r => r.FloorExecution.Median.TotalMilliseconds).ToArray()));
            }

            if (options.Isolated)
            {
                rows.AddRange(analyzers.Select(a => ("cpu alone - floor alone: " + Name(a).Replace("Analyzer", string.Empty, StringComparison.Ordinal), sameSize.Select(r => (r.Alone(a).Cpu - r.FloorAlone.Cpu).TotalMilliseconds).ToArray())));
            }

            rows.Add(("run cpu", sameSize.Select(r => r.Run.Cpu.TotalMilliseconds).ToArray()));
            rows.Add(("run wall", sameSize.Select(r => r.Run.Wall.TotalMilliseconds).ToArray()));
            if (options.CompileOnly)
            {
                rows.Add(("compile cpu (1 run)", sameSize.Select(r => r.Compile.Cpu.TotalMilliseconds).ToArray()));
            }

            var x = sameSize.Select(r => (double)r.Pins).ToArray();
            foreach (var (name, values) in rows)
            {
                Console.Write(Inv($"  {name,-30}"));
                foreach (var v in values)
                {
                    Console.Write(Inv($" {v,10:F1}"));
                }

                var (a, b) = Fit(x, values);
                Console.WriteLine(Inv($"  {$"{a:F1} + {b * 100:F1}",26}"));
            }

            var noPins = sameSize.FirstOrDefault(r => r.Pins == 0);
            var half = results.FirstOrDefault(r => r.Methods == options.Methods / 2 && r.Methods != options.Methods && r.Pins == 0);
            if (noPins is not null && half is not null)
            {
                Console.WriteLine();
                Console.WriteLine(Inv($"  code size without pins, {half.Methods:N0} -> {noPins.Methods:N0} methods: exec sum {half.SumExecution(analyzers):F1} -> {noPins.SumExecution(analyzers):F1} ms, floor {half.FloorExecution.Median.TotalMilliseconds:F1} -> {noPins.FloorExecution.Median.TotalMilliseconds:F1} ms, run cpu {half.Run.Cpu.TotalMilliseconds:F0} -> {noPins.Run.Cpu.TotalMilliseconds:F0} ms"));
            }

            if (noPins is not null && sameSize.Count > 1)
            {
                var (a, b) = Fit(x, rows[sumRow].Values);
                var sum = noPins.SumExecution(analyzers);
                Console.WriteLine();
                Console.WriteLine(Inv($"  => no-pin code: {sum:F1} ms of PinAnalyzers execution for {noPins.Methods:N0} methods ({sum * 1000 / noPins.Methods:F1} us per method{(noPins.FloorExecution.Count > 0 ? Inv($"; the empty floor analyzer {noPins.FloorExecution.Median.TotalMilliseconds:F1} ms") : string.Empty)}),"));
                Console.WriteLine(Inv($"     {100 * sum / noPins.Run.Cpu.TotalMilliseconds:F1}% of the {noPins.Run.Cpu.TotalMilliseconds:F0} ms CPU of the analyzed compilation; each 100 pin sites add {b * 100:F1} ms (fit intercept {a:F1} ms)."));
            }

            Console.WriteLine();
        }

        /// <summary>Least-squares line through (x, y).</summary>
        private static (double Intercept, double Slope) Fit(double[] x, double[] y)
        {
            if (x.Length < 2)
            {
                return (y.FirstOrDefault(), 0);
            }

            double mx = x.Average(), my = y.Average();
            double sxy = 0, sxx = 0;
            for (var i = 0; i < x.Length; i++)
            {
                sxy += (x[i] - mx) * (y[i] - my);
                sxx += (x[i] - mx) * (x[i] - mx);
            }

            var slope = sxx == 0 ? 0 : sxy / sxx;
            return (my - (slope * mx), slope);
        }

        internal static string LoadAverage()
        {
            try
            {
                return File.ReadAllText("/proc/loadavg").Split(' ')[0];
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return "n/a";
            }
        }

        internal static string Name(DiagnosticAnalyzer analyzer) => analyzer.GetType().Name;

        internal static string Ms(TimeSpan t) => t.TotalMilliseconds.ToString("F1", CultureInfo.InvariantCulture) + " ms";

        internal static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Runs the scenarios: compilations, analyzer runs and their measurements.</summary>
    internal sealed class Bench
    {
        /// <summary>The preprocessor symbols of a net10.0 build, for <c>--source</c> code with <c>#if NET…</c>.</summary>
        private static readonly string[] Net10Symbols =
        {
            "NET", "NET10_0", "NETCOREAPP", "RELEASE", "TRACE",
            "NET5_0_OR_GREATER", "NET6_0_OR_GREATER", "NET7_0_OR_GREATER", "NET8_0_OR_GREATER", "NET9_0_OR_GREATER", "NET10_0_OR_GREATER",
            "NETCOREAPP1_0_OR_GREATER", "NETCOREAPP1_1_OR_GREATER", "NETCOREAPP2_0_OR_GREATER", "NETCOREAPP2_1_OR_GREATER",
            "NETCOREAPP2_2_OR_GREATER", "NETCOREAPP3_0_OR_GREATER", "NETCOREAPP3_1_OR_GREATER",
        };

        private readonly ImmutableArray<DiagnosticAnalyzer> _analyzers;
        private readonly FloorAnalyzer _floor = new();
        private readonly Options _options;
        private readonly ImmutableArray<MetadataReference> _references;
        private readonly ImmutableArray<MetadataReference> _referencesWithLeases;

        internal Bench(ImmutableArray<DiagnosticAnalyzer> analyzers, Options options)
        {
            _analyzers = analyzers;
            _options = options;
            _references = Basic.Reference.Assemblies.Net100.References.All.Select(r => (MetadataReference)r).ToImmutableArray();

            // The lease library is referenced by the generated code's compilation so that LeaseAnalyzer, which registers
            // nothing in a compilation without it, is measured too.
            _referencesWithLeases = _references.Add(MetadataReference.CreateFromFile(Program.LeaseAssembly.Location));
        }

        /// <summary>JIT and tier-up of the compiler and the analyzers on a small compilation, every pin kind included.</summary>
        internal async Task WarmUpAsync()
        {
            var wall = Stopwatch.StartNew();
            var compilation = Compile(CodeGenerator.Generate(300, 200), withLeaseLibrary: true);
            var sink = new ScenarioResult(null, 300, 200, 0);
            for (var i = 0; i < _options.WarmupRounds; i++)
            {
                compilation.Clone().GetDiagnostics();
                await AnalyzeAsync(compilation, _options.Floor ? _analyzers.Add(_floor) : _analyzers, sink).ConfigureAwait(false);
            }

            Console.WriteLine(Program.Inv($"warm-up: {_options.WarmupRounds} rounds over 300 methods with 200 pin sites, {wall.Elapsed.TotalSeconds:F1} s"));
            Console.WriteLine();
        }

        internal async Task<ScenarioResult> RunAsync(string? source, int methods, int pins, IReadOnlyList<(string Path, string Text)> files, bool withLeaseLibrary)
        {
            var compilation = Compile(files, withLeaseLibrary);
            var result = new ScenarioResult(source, methods, pins, files.Sum(f => f.Text.Length));

            // Each measurement gets a fresh compilation (Clone): nothing bound is shared between runs.
            ImmutableArray<Diagnostic> compilerDiagnostics = default;
            if (_options.CompileOnly)
            {
                var (compileWall, compileCpu) = Measure(() => compilerDiagnostics = compilation.Clone().GetDiagnostics());
                result.Compile.Add(compileWall, compileCpu);
            }
            else
            {
                // Declaration errors are enough to catch a generator bug; method bodies are bound by the analyzed runs.
                compilerDiagnostics = compilation.GetDeclarationDiagnostics();
            }

            var errors = compilerDiagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0)
            {
                if (source is null)
                {
                    throw new InvalidOperationException("generated code does not compile: " + string.Join(Environment.NewLine, errors.Take(5)));
                }

                result.CompileErrors = errors.Count;
            }

            for (var i = 0; i < _options.Iterations; i++)
            {
                var run = await AnalyzeAsync(compilation, _options.Floor ? _analyzers.Add(_floor) : _analyzers, result).ConfigureAwait(false);
                result.Run.Add(run.Wall, run.Cpu);
                if (_options.Floor)
                {
                    result.FloorExecution.Add(run.Execution[_floor]);
                }

                foreach (var analyzer in _analyzers)
                {
                    result.Execution(analyzer).Add(run.Execution[analyzer]);
                }

                result.Diagnostics = run.Diagnostics;
                result.AllDiagnostics = run.All;
                if (_options.Isolated)
                {
                    var floorAlone = await AnalyzeAsync(compilation, ImmutableArray.Create<DiagnosticAnalyzer>(_floor), result).ConfigureAwait(false);
                    result.FloorAlone.Add(floorAlone.Wall, floorAlone.Cpu);
                    foreach (var analyzer in _analyzers)
                    {
                        var alone = await AnalyzeAsync(compilation, ImmutableArray.Create(analyzer), result).ConfigureAwait(false);
                        result.Alone(analyzer).Add(alone.Wall, alone.Cpu);
                    }
                }
            }

            Print(result);
            return result;
        }

        private CSharpCompilation Compile(IReadOnlyList<(string Path, string Text)> files, bool withLeaseLibrary)
        {
            var parse = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithPreprocessorSymbols(Net10Symbols);
            var trees = files.Select(f => CSharpSyntaxTree.ParseText(f.Text, parse, f.Path)).ToArray();
            return CSharpCompilation.Create(
                "Analyzed",
                trees,
                withLeaseLibrary ? _referencesWithLeases : _references,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable, concurrentBuild: _options.Concurrent)
                    .WithSpecificDiagnosticOptions(_options.Enable.Select(id => new KeyValuePair<string, ReportDiagnostic>(id, ReportDiagnostic.Warn))));
        }

        private async Task<Run> AnalyzeAsync(CSharpCompilation compilation, ImmutableArray<DiagnosticAnalyzer> analyzers, ScenarioResult result)
        {
            var withAnalyzers = compilation.Clone().WithAnalyzers(
                analyzers,
                new CompilationWithAnalyzersOptions(
                    new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty, new GlobalOptionsProvider(_options.AnalyzerOptions)),
                    onAnalyzerException: (exception, analyzer, diagnostic) =>
                    {
                        lock (result.Exceptions)
                        {
                            result.Exceptions.Add(Program.Name(analyzer) + ": " + exception.GetType().Name + ": " + exception.Message + " " + diagnostic.GetMessage(CultureInfo.InvariantCulture).Split('\n').FirstOrDefault(l => l.Contains("ISymbol", StringComparison.Ordinal))?.Trim());
                        }
                    },
                    concurrentAnalysis: _options.Concurrent,
                    logAnalyzerExecutionTime: true,
                    reportSuppressedDiagnostics: false));

            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None).ConfigureAwait(false);
            wall.Stop();
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;

            var execution = new Dictionary<DiagnosticAnalyzer, TimeSpan>();
            foreach (var analyzer in analyzers)
            {
                var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None).ConfigureAwait(false);
                execution[analyzer] = telemetry.ExecutionTime;
            }

            var byId = diagnostics.GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key + " x" + g.Count().ToString(CultureInfo.InvariantCulture));
            return new Run(wall.Elapsed, cpuUsed, execution, string.Join(", ", byId), diagnostics);
        }

        private static (TimeSpan Wall, TimeSpan Cpu) Measure(Action action)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            action();
            wall.Stop();
            return (wall.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
        }

        private void Print(ScenarioResult r)
        {
            Console.WriteLine(r.Source is null
                ? Program.Inv($"{r.Methods:N0} methods, {r.Pins:N0} pin sites ({r.SourceChars / 1024:N0} KB of C#)")
                : Program.Inv($"{r.Source} ({r.SourceChars / 1024:N0} KB of C#{(r.CompileErrors > 0 ? $", {r.CompileErrors} compile errors" : string.Empty)})"));
            if (r.Compile.Count > 0)
            {
                Console.WriteLine(Program.Inv($"  compile (1 run)  wall {Program.Ms(r.Compile.Wall),10}  cpu {Program.Ms(r.Compile.Cpu),10}"));
            }

            Console.WriteLine(Program.Inv($"  analyzed run     wall {Program.Ms(r.Run.Wall),10}  cpu {Program.Ms(r.Run.Cpu),10}"));
            foreach (var analyzer in _analyzers)
            {
                var samples = r.Execution(analyzer);
                var alone = r.Alone(analyzer);
                var aloneText = alone.Count == 0 ? string.Empty : Program.Inv($"   alone: cpu {Program.Ms(alone.Cpu)}, {Program.Ms(alone.Cpu - r.FloorAlone.Cpu)} over the floor alone");
                Console.WriteLine(Program.Inv($"    {Program.Name(analyzer),-24} exec {Program.Ms(samples.Median),10}  (min {Program.Ms(samples.Min)}, max {Program.Ms(samples.Max)}){aloneText}"));
            }

            if (r.FloorExecution.Count > 0)
            {
                Console.WriteLine(Program.Inv($"    {nameof(FloorAnalyzer),-24} exec {Program.Ms(r.FloorExecution.Median),10}  (min {Program.Ms(r.FloorExecution.Min)}, max {Program.Ms(r.FloorExecution.Max)}){(r.FloorAlone.Count == 0 ? string.Empty : $"   alone: cpu {Program.Ms(r.FloorAlone.Cpu)}")}"));
            }
            Console.WriteLine(Program.Inv($"    sum of PinAnalyzers exec {r.SumExecution(_analyzers):F1} ms; diagnostics: {(r.Diagnostics.Length == 0 ? "none" : r.Diagnostics)}"));
            foreach (var exception in r.Exceptions.Distinct())
            {
                Console.WriteLine("    ANALYZER EXCEPTION (AD0001) " + exception);
            }

            if (_options.List && !r.AllDiagnostics.IsDefault)
            {
                // One line per finding, then the source line it points at: what a reviewer triages.
                var ordered = r.AllDiagnostics
                    .OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal)
                    .ThenBy(d => d.Location.SourceSpan.Start);
                foreach (var d in ordered)
                {
                    var span = d.Location.GetLineSpan();
                    var line = d.Location.SourceTree?.GetText().Lines[span.StartLinePosition.Line].ToString().Trim() ?? string.Empty;
                    Console.WriteLine(Program.Inv($"  {span.Path}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): {d.Id} {d.GetMessage(CultureInfo.InvariantCulture)}"));
                    Console.WriteLine("      | " + (line.Length > 160 ? line.Substring(0, 160) + " …" : line));
                }
            }

            Console.WriteLine();
        }

        private sealed record Run(TimeSpan Wall, TimeSpan Cpu, Dictionary<DiagnosticAnalyzer, TimeSpan> Execution, string Diagnostics, ImmutableArray<Diagnostic> All);
    }

    internal sealed class Samples
    {
        private readonly List<TimeSpan> _wall = new();
        private readonly List<TimeSpan> _cpu = new();

        internal TimeSpan Wall => MedianOf(_wall);

        internal TimeSpan Cpu => MedianOf(_cpu);

        internal TimeSpan Median => MedianOf(_wall);

        internal TimeSpan Min => _wall.Count == 0 ? TimeSpan.Zero : _wall.Min();

        internal TimeSpan Max => _wall.Count == 0 ? TimeSpan.Zero : _wall.Max();

        internal int Count => _wall.Count;

        internal void Add(TimeSpan wall, TimeSpan cpu = default)
        {
            _wall.Add(wall);
            _cpu.Add(cpu);
        }

        private static TimeSpan MedianOf(List<TimeSpan> values)
        {
            if (values.Count == 0)
            {
                return TimeSpan.Zero;
            }

            var sorted = values.OrderBy(v => v).ToList();
            var mid = sorted.Count / 2;
            return sorted.Count % 2 == 1 ? sorted[mid] : TimeSpan.FromTicks((sorted[mid - 1].Ticks + sorted[mid].Ticks) / 2);
        }
    }

    internal sealed class ScenarioResult
    {
        private readonly Dictionary<DiagnosticAnalyzer, Samples> _execution = new();
        private readonly Dictionary<DiagnosticAnalyzer, Samples> _alone = new();

        internal ScenarioResult(string? source, int methods, int pins, int sourceChars)
        {
            Source = source;
            Methods = methods;
            Pins = pins;
            SourceChars = sourceChars;
        }

        internal string? Source { get; }

        internal int Methods { get; }

        internal int Pins { get; }

        internal int SourceChars { get; }

        internal int CompileErrors { get; set; }

        internal Samples Compile { get; } = new();

        internal Samples Run { get; } = new();

        internal Samples FloorExecution { get; } = new();

        internal Samples FloorAlone { get; } = new();

        internal string Diagnostics { get; set; } = string.Empty;

        internal ImmutableArray<Diagnostic> AllDiagnostics { get; set; }

        internal List<string> Exceptions { get; } = new();

        internal Samples Execution(DiagnosticAnalyzer analyzer) => Get(_execution, analyzer);

        internal Samples Alone(DiagnosticAnalyzer analyzer) => Get(_alone, analyzer);

        internal double SumExecution(IEnumerable<DiagnosticAnalyzer> analyzers) => analyzers.Sum(a => Execution(a).Median.TotalMilliseconds);

        private static Samples Get(Dictionary<DiagnosticAnalyzer, Samples> map, DiagnosticAnalyzer analyzer)
        {
            if (!map.TryGetValue(analyzer, out var samples))
            {
                samples = new Samples();
                map[analyzer] = samples;
            }

            return samples;
        }
    }

    internal sealed class Options
    {
        internal const string Usage = @"usage: dotnet run -c Release --project bench/AnalyzerBench -- [options]
  --quick          2 measured iterations per scenario, no half-size run, no compile-only run (about 40 s)
  --iterations K   measured iterations per scenario (medians are reported)
  --warmup W       warm-up rounds before any measurement (default 1; the JIT is not tiered, see the .csproj)
  --methods N      generated methods (default 2000)
  --pins LIST      pin-site counts (default 0,10,100,1000)
  --no-half        skip the no-pin run at half the methods (the code-size check)
  --no-compile     skip the compile-only run (compilation.GetDiagnostics(), no analyzer) of each scenario
  --no-floor       do not run FloorAnalyzer alongside: the analyzed run is then the PinAnalyzers' alone (an
                   operation-based analyzer such as the floor makes the driver build operation trees)
  --isolated       also run each analyzer and the floor alone: process CPU per analyzer (slow)
  --concurrent     concurrent analysis and build (default off: analyzer times do not overlap)
  --analyzer S     only the analyzers whose type name contains S
  --kind K         only pin blocks of kind K instead of the rotation: 0 GCHandle + try/finally, 1 fixed,
                   2 Unsafe.AsPointer(ref local), 3 Memory.Pin in using, 4 GCHandle kept in a field,
                   5 fixed pointer stored in a field, 6 Unsafe.AsPointer(ref array[0])
  --source DIR     analyze the *.cs files under DIR (bin/ and obj/ skipped) instead of generated code
  --list           print every finding (file(line,col): id message) and its source line, for triage
  --option K=V     an analyzer option as .editorconfig would give it (repeatable), e.g.
                   --option pin_analyzers.dax_paths=/data/pmem/**
  --enable ID      report ID even when it is disabled by default (repeatable), e.g. --enable PIN9001";

        internal int Methods { get; private set; } = 2000;

        internal int[] Pins { get; private set; } = { 0, 10, 100, 1000 };

        internal int Iterations { get; private set; } = 3;

        internal int WarmupRounds { get; private set; } = 1;

        internal bool Concurrent { get; private set; }

        internal bool HalfSize { get; private set; } = true;

        internal bool CompileOnly { get; private set; } = true;

        internal bool Floor { get; private set; } = true;

        internal bool Isolated { get; private set; }

        internal string? AnalyzerFilter { get; private set; }

        internal string? Source { get; private set; }

        internal int? Kind { get; private set; }

        internal bool Help { get; private set; }

        internal bool List { get; private set; }

        internal Dictionary<string, string> AnalyzerOptions { get; } = new(StringComparer.Ordinal);

        internal List<string> Enable { get; } = new();

        internal static Options Parse(string[] args)
        {
            var o = new Options();
            int? iterations = null;
            for (var i = 0; i < args.Length; i++)
            {
                string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException("missing value after " + args[i]);
                switch (args[i])
                {
                    case "--quick":
                        o.Iterations = 2;
                        o.HalfSize = false;
                        o.CompileOnly = false;
                        break;
                    case "--iterations":
                        iterations = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--warmup":
                        o.WarmupRounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--methods":
                        o.Methods = int.Parse(Next(), CultureInfo.InvariantCulture);
                        break;
                    case "--pins":
                        o.Pins = Next().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                        break;
                    case "--no-half":
                        o.HalfSize = false;
                        break;
                    case "--no-compile":
                        o.CompileOnly = false;
                        break;
                    case "--no-floor":
                        o.Floor = false;
                        break;
                    case "--isolated":
                        o.Isolated = true;
                        break;
                    case "--concurrent":
                        o.Concurrent = true;
                        break;
                    case "--analyzer":
                        o.AnalyzerFilter = Next();
                        break;
                    case "--kind":
                        o.Kind = int.Parse(Next(), CultureInfo.InvariantCulture);
                        if (o.Kind is < 0 or > 6)
                        {
                            throw new ArgumentException("--kind is 0 to 6");
                        }

                        break;
                    case "--source":
                        o.Source = Path.GetFullPath(Next());
                        break;
                    case "--list":
                        o.List = true;
                        break;
                    case "--option":
                        {
                            var pair = Next();
                            var eq = pair.IndexOf('=', StringComparison.Ordinal);
                            if (eq <= 0)
                            {
                                throw new ArgumentException("--option takes KEY=VALUE");
                            }

                            o.AnalyzerOptions[pair.Substring(0, eq).Trim()] = pair.Substring(eq + 1).Trim();
                            break;
                        }

                    case "--enable":
                        o.Enable.Add(Next());
                        break;
                    case "-h":
                    case "--help":
                        o.Help = true;
                        break;
                    default:
                        throw new ArgumentException("unknown option " + args[i]);
                }
            }

            o.Iterations = iterations ?? o.Iterations;
            if (o.Iterations < 1 || o.WarmupRounds < 0 || o.Methods < 1 || o.Pins.Length == 0)
            {
                throw new ArgumentException("iterations >= 1, warmup >= 0, methods >= 1, at least one pin count");
            }

            return o;
        }
    }

    /// <summary>The same analyzer options for every file, as a global .editorconfig would give them (<c>--option</c>).</summary>
    internal sealed class GlobalOptionsProvider : AnalyzerConfigOptionsProvider
    {
        private readonly Options _global;

        internal GlobalOptionsProvider(IReadOnlyDictionary<string, string> values) => _global = new Options(values);

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _global;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _global;

        private sealed class Options : AnalyzerConfigOptions
        {
            private readonly IReadOnlyDictionary<string, string> _values;

            internal Options(IReadOnlyDictionary<string, string> values) => _values = values;

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
                => _values.TryGetValue(key, out value);
        }
    }

    // A benchmark probe inside the bench executable, never loaded by a compiler: no banned-API setting (RS1036),
    // no netstandard2.0 target (RS1041), no release tracking (RS2008).
#pragma warning disable RS1036, RS1041, RS2008

    /// <summary>
    /// The floor for an analyzer shaped like PinAnalyzers: an operation-block start action that registers an
    /// operation action (invocations, object creations, declarators) and a block-end action, all empty.
    /// Whatever this costs, any analyzer of that shape pays.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    internal sealed class FloorAnalyzer : DiagnosticAnalyzer
    {
        private static readonly DiagnosticDescriptor Never = new("BENCH0001", "never reported", "never reported", "Bench", DiagnosticSeverity.Hidden, isEnabledByDefault: true);

        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(Never);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
                start.RegisterOperationBlockStartAction(block =>
                {
                    block.RegisterOperationAction(_ => { }, OperationKind.Invocation, OperationKind.ObjectCreation, OperationKind.VariableDeclarator);
                    block.RegisterOperationBlockEndAction(_ => { });
                }));
        }
    }
#pragma warning restore RS1036, RS1041, RS2008
}
