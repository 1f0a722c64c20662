using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>
/// <see cref="AnalyzerVerifier{TAnalyzer}"/> with the lease library (<c>PinAnalyzers.Leases</c>) referenced by the
/// test compilation, for the PIN5xxx rules, whose analyzer registers nothing without it.
/// </summary>
internal static class LeaseAnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>The lease library the test project builds (leases/PinAnalyzers.Leases.csproj).</summary>
    internal static readonly MetadataReference Leases = MetadataReference.CreateFromFile(typeof(PinAnalyzers.Leases.PinBudget).Assembly.Location);

    internal sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test(bool referenceLeases = true)
        {
            ReferenceAssemblies = TestReferences.None;
            TestReferences.Apply(TestState);
            if (referenceLeases)
            {
                TestState.AdditionalReferences.Add(Leases);
            }

            SolutionTransforms.Add(TestReferences.Configure);
        }

        /// <summary>
        /// Also expect the errors that the compiler reports only when it emits: those of lowering, such as CS4007
        /// (a ref struct kept across <c>await</c>, C# 13 and later), which <c>GetDiagnostics</c> does not include.
        /// </summary>
        public bool IncludeEmitErrors { get; init; }

        protected override async Task<(Compilation compilation, ImmutableArray<Diagnostic> generatorDiagnostics)> GetProjectCompilationAsync(
            Project project, IVerifier verifier, CancellationToken cancellationToken)
        {
            var (compilation, generatorDiagnostics) = await base.GetProjectCompilationAsync(project, verifier, cancellationToken);
            if (!IncludeEmitErrors)
            {
                return (compilation, generatorDiagnostics);
            }

            var declared = compilation.GetDiagnostics(cancellationToken);
            var emitted = compilation.Emit(Stream.Null, cancellationToken: cancellationToken).Diagnostics
                .Where(d => d.Severity == DiagnosticSeverity.Error && !declared.Contains(d));
            return (compilation, generatorDiagnostics.AddRange(emitted));
        }
    }

    internal static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Warning);

    /// <summary>Checks that <paramref name="source"/> produces exactly the diagnostics its markup and <paramref name="expected"/> say.</summary>
    internal static Task VerifyAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>As <see cref="VerifyAsync"/>, and the compiler's emit-time errors (CS4007 and the like) are expected too.</summary>
    internal static Task VerifyWithEmitErrorsAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source, IncludeEmitErrors = true };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>As <see cref="VerifyAsync"/>, but the test compilation does not reference the lease library.</summary>
    internal static Task VerifyWithoutLeasesAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new Test(referenceLeases: false) { TestCode = source };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Broken or half-typed code against the lease library: the compiler errors are whatever they are; the analyzer
    /// must not throw (an exception surfaces as AD0001) and must report none of <paramref name="forbidden"/>.
    /// </summary>
    internal static async Task VerifyNoCrashAsync(string source, params string[] forbidden)
    {
        var (diagnostics, _) = await RunAsync(source, referenceLeases: true);
        foreach (var diagnostic in diagnostics)
        {
            Xunit.Assert.False(diagnostic.Id == "AD0001", diagnostic.ToString());
            Xunit.Assert.DoesNotContain(diagnostic.Id, forbidden);
        }
    }

    /// <summary>
    /// Runs the analyzer over <paramref name="source"/> and returns every diagnostic (compiler and analyzer) and the
    /// analyzer's telemetry, which counts the actions it registered.
    /// </summary>
    internal static async Task<(ImmutableArray<Diagnostic> Diagnostics, AnalyzerTelemetryInfo Telemetry)> RunAsync(string source, bool referenceLeases)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: "/0/Test0.cs");
        var references = referenceLeases
            ? Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(Leases)
            : Basic.Reference.Assemblies.Net100.References.All;
        var compilation = CSharpCompilation.Create(
            "LeaseTest",
            new[] { tree },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var analyzer = new TAnalyzer();
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: true,
            reportSuppressedDiagnostics: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(analyzer), options);
        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None);
        var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
        return (diagnostics, telemetry);
    }
}
