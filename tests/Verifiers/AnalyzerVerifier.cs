using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>Thin wrapper over Microsoft.CodeAnalysis.Testing: markup in, diagnostics checked.</summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    internal sealed class Test : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.None;
            TestReferences.Apply(TestState);
            SolutionTransforms.Add(TestReferences.Configure);
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

    /// <summary>Checks <paramref name="source"/> with an .editorconfig of <paramref name="editorConfig"/> lines.</summary>
    internal static Task VerifyWithConfigAsync(string source, string editorConfig, params DiagnosticResult[] expected)
    {
        var test = new Test { TestCode = source };
        test.TestState.AnalyzerConfigFiles.Add(("/.editorconfig", "root = true\n\n[*]\n" + editorConfig));
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Broken or half-typed code: the compiler errors are whatever they are; the analyzer must not throw
    /// (an exception surfaces as AD0001) and must report none of <paramref name="forbidden"/>.
    /// </summary>
    internal static async Task VerifyNoCrashAsync(string source, params string[] forbidden)
    {
        var diagnostics = await BrokenCode.RunAnalyzerAsync(new TAnalyzer(), source);
        foreach (var diagnostic in diagnostics)
        {
            Xunit.Assert.False(diagnostic.Id == "AD0001", diagnostic.ToString());
            Xunit.Assert.DoesNotContain(diagnostic.Id, forbidden);
        }
    }
}
