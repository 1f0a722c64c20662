using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>Runs an analyzer over code that does not compile, reporting analyzer exceptions as AD0001.</summary>
internal static class BrokenCode
{
    /// <param name="enable">Rules that are off by default to turn on (as <c>dotnet_diagnostic.ID.severity = warning</c> would).</param>
    /// <param name="references">More references than the .NET 10 reference assemblies (the lease library).</param>
    internal static async Task<ImmutableArray<Diagnostic>> RunAnalyzerAsync(
        DiagnosticAnalyzer analyzer,
        string source,
        IEnumerable<string>? enable = null,
        IEnumerable<MetadataReference>? references = null)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: "/0/Test0.cs");
        var compilation = CSharpCompilation.Create(
            "Broken",
            new[] { tree },
            Basic.Reference.Assemblies.Net100.References.All.Concat(references ?? Enumerable.Empty<MetadataReference>()),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true)
                .WithSpecificDiagnosticOptions((enable ?? Enumerable.Empty<string>()).Select(id => new KeyValuePair<string, ReportDiagnostic>(id, ReportDiagnostic.Warn))));
        var options = new CompilationWithAnalyzersOptions(
            new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty),
            onAnalyzerException: null,
            concurrentAnalysis: false,
            logAnalyzerExecutionTime: false,
            reportSuppressedDiagnostics: false);
        var withAnalyzers = compilation.WithAnalyzers(ImmutableArray.Create(analyzer), options);
        return await withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None);
    }
}
