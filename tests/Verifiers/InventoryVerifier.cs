using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>
/// Runs <see cref="PinInventoryAnalyzer"/> the way a build does: a project whose <c>.editorconfig</c> (or
/// <c>.globalconfig</c>) is parsed by the workspace into the compilation's options, the analyzer driven by
/// <see cref="CompilationWithAnalyzers"/> with nothing enabled behind the project's back — so a rule that is off by
/// default stays off unless the configuration turns it on.
/// </summary>
internal static class InventoryVerifier
{
    /// <summary>The configuration line that turns the inventory on.</summary>
    internal const string Enable = "dotnet_diagnostic.PIN9001.severity = suggestion";

    /// <summary>One expected entry: the kind, the class and the detail of the site at the next <c>[|…|]</c> span.</summary>
    internal sealed record Entry(string Kind, string Class, string? Detail = null);

    internal sealed record Result(ImmutableArray<Diagnostic> Diagnostics, AnalyzerTelemetryInfo Telemetry, string Source);

    /// <summary>
    /// Checks that the inventory, turned on by <see cref="Enable"/>, reports exactly one PIN9001 on every <c>[|…|]</c>
    /// span of <paramref name="markup"/>, in order, with the kind and class (and, when given, the detail) of
    /// <paramref name="expected"/>, in the message and in the properties; and nothing else but compiler warnings.
    /// </summary>
    internal static async Task VerifyAsync(string markup, params Entry[] expected)
    {
        TestFileMarkupParser.GetSpans(markup, out var source, out ImmutableArray<TextSpan> spans);
        Assert.Equal(expected.Length, spans.Length);
        var result = await RunAsync(source, editorConfig: Enable);
        AssertNoErrors(result);
        var reported = result.Diagnostics.Where(d => d.Id == "PIN9001").OrderBy(d => d.Location.SourceSpan.Start).ToList();
        var lines = string.Join(Environment.NewLine, reported.Select(Describe));
        Assert.True(reported.Count == spans.Length, $"expected {spans.Length} PIN9001, got {reported.Count}:{Environment.NewLine}{lines}");
        for (var i = 0; i < spans.Length; i++)
        {
            var diagnostic = reported[i];
            Assert.True(spans[i] == diagnostic.Location.SourceSpan, $"entry {i}: expected at {spans[i]} '{source.Substring(spans[i].Start, spans[i].Length)}', got {Describe(diagnostic)}");
            Assert.Equal(DiagnosticSeverity.Info, diagnostic.Severity);
            var entry = expected[i];
            Assert.Equal(entry.Kind, diagnostic.Properties[PinInventoryAnalyzer.KindProperty]);
            Assert.Equal(entry.Class, diagnostic.Properties[PinInventoryAnalyzer.ClassProperty]);
            var detail = diagnostic.Properties[PinInventoryAnalyzer.DetailProperty];
            Assert.False(string.IsNullOrEmpty(detail));
            if (entry.Detail is not null)
            {
                Assert.Equal(entry.Detail, detail);
            }

            Assert.Equal($"Pin site '{entry.Kind}' ({entry.Class}): {detail}", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Runs the inventory over <paramref name="source"/> (the lease library referenced) in a project with the given
    /// <c>.editorconfig</c> body for <c>[*.cs]</c> and/or <c>.globalconfig</c> body (null: no such file).
    /// </summary>
    internal static async Task<Result> RunAsync(string source, string? editorConfig = null, string? globalConfig = null)
    {
        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var references = Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(LeaseAnalyzerVerifier<PinInventoryAnalyzer>.Leases);
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId,
                VersionStamp.Default,
                "Inventory",
                "Inventory",
                LanguageNames.CSharp,
                filePath: "/src/Inventory.csproj",
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true),
                parseOptions: new CSharpParseOptions(LanguageVersion.Preview),
                metadataReferences: references))
            .AddDocument(DocumentId.CreateNewId(projectId), "Test0.cs", SourceText.From(source), filePath: "/src/Test0.cs");
        if (editorConfig is not null)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".editorconfig", SourceText.From("root = true\n\n[*.cs]\n" + editorConfig + "\n"), filePath: "/src/.editorconfig");
        }

        if (globalConfig is not null)
        {
            solution = solution.AddAnalyzerConfigDocument(DocumentId.CreateNewId(projectId), ".globalconfig", SourceText.From("is_global = true\n" + globalConfig + "\n"), filePath: "/src/.globalconfig");
        }

        var project = solution.GetProject(projectId)!;
        var compilation = (await project.GetCompilationAsync())!;
        var analyzer = new PinInventoryAnalyzer();
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create<DiagnosticAnalyzer>(analyzer),
            new CompilationWithAnalyzersOptions(project.AnalyzerOptions, onAnalyzerException: null, concurrentAnalysis: false, logAnalyzerExecutionTime: true, reportSuppressedDiagnostics: false));
        var diagnostics = await withAnalyzers.GetAllDiagnosticsAsync(CancellationToken.None);
        var telemetry = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
        return new Result(diagnostics, telemetry, source);
    }

    internal static void AssertNoErrors(Result result)
    {
        var errors = result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error || d.Id == "AD0001").ToList();
        Assert.True(errors.Count == 0, "the test code does not compile or the analyzer threw:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }

    internal static string Describe(Diagnostic diagnostic)
    {
        var span = diagnostic.Location.SourceSpan;
        var text = diagnostic.Location.SourceTree?.GetText().ToString(span) ?? string.Empty;
        return $"{diagnostic.Location.GetLineSpan().StartLinePosition}: '{text}' {diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
    }
}
