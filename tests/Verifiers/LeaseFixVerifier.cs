using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>
/// What every lease-producing fix's output must satisfy: it compiles against the lease library, and no analyzer of
/// the package — the lease family above all — reports anything about the leases and scopes the fix wrote.
/// </summary>
internal static class LeaseFixVerifier
{
    /// <summary>Every analyzer the package ships.</summary>
    private static readonly ImmutableArray<DiagnosticAnalyzer> Analyzers = typeof(LeaseAnalyzer).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttribute<DiagnosticAnalyzerAttribute>() is not null)
        .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
        .ToImmutableArray();

    /// <summary>
    /// <paramref name="fixedSource"/> has no compiler error, no analyzer exception and no PIN5xxx diagnostic (nor any
    /// of <paramref name="alsoForbidden"/>).
    /// </summary>
    internal static async Task AssertCleanAsync(string fixedSource, params string[] alsoForbidden)
    {
        var tree = CSharpSyntaxTree.ParseText(fixedSource, new CSharpParseOptions(LanguageVersion.Preview), path: "/0/Test0.cs");
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        var compilation = CSharpCompilation.Create(
            "LeaseFixOutput",
            new[] { tree },
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Xunit.Assert.True(errors.Count == 0, "The fixed code does not compile:\n" + string.Join("\n", errors));

        var withAnalyzers = compilation.WithAnalyzers(Analyzers, new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty));
        var diagnostics = await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        var forbidden = diagnostics
            .Where(d => d.Id == "AD0001" || d.Id.StartsWith("PIN5", StringComparison.Ordinal) || alsoForbidden.Contains(d.Id))
            .ToList();
        Xunit.Assert.True(forbidden.Count == 0, "The fixed code has lease diagnostics:\n" + string.Join("\n", forbidden));
    }
}
