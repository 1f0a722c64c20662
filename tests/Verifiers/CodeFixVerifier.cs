using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>
/// Thin wrapper over Microsoft.CodeAnalysis.Testing for a code fix: markup in, the fixed code (and the Fix All
/// result) out, with the fixed code compiled against the same references as <see cref="AnalyzerVerifier{TAnalyzer}"/>.
/// </summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    internal sealed class Test : CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
    {
        public Test()
        {
            ReferenceAssemblies = TestReferences.None;
            TestReferences.Apply(TestState);
            SolutionTransforms.Add(TestReferences.Configure);
        }

        /// <summary>Overrides the preview language version that <see cref="TestReferences.Configure"/> sets.</summary>
        public void UseLanguageVersion(LanguageVersion version)
            => SolutionTransforms.Add((solution, projectId) => solution.WithProjectParseOptions(
                projectId,
                ((CSharpParseOptions)solution.GetProject(projectId)!.ParseOptions!).WithLanguageVersion(version)));
    }

    internal static DiagnosticResult Diagnostic(string id) => new(id, DiagnosticSeverity.Warning);

    /// <summary>
    /// Checks that <paramref name="source"/> has the diagnostics its markup says, that the fix with
    /// <paramref name="equivalenceKey"/> turns it into <paramref name="fixedSource"/>, and that Fix All gives the same.
    /// </summary>
    internal static Task VerifyFixAsync(string source, string fixedSource, string equivalenceKey, LanguageVersion? languageVersion = null)
    {
        var test = new Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        if (languageVersion is { } version)
        {
            test.UseLanguageVersion(version);
        }

        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Several sites in one document: one fix at a time gives <paramref name="fixedSource"/> after
    /// <paramref name="iterations"/> rounds; Fix All in one go gives <paramref name="batchFixedSource"/>.
    /// </summary>
    internal static Task VerifyFixAllAsync(string source, string fixedSource, string batchFixedSource, string equivalenceKey, int iterations)
    {
        var test = new Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            BatchFixedCode = batchFixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
            NumberOfIncrementalIterations = iterations,
            NumberOfFixAllIterations = 1,
        };
        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>The diagnostics of <paramref name="source"/>'s markup are reported, and no fix is offered for them.</summary>
    internal static Task VerifyNoFixAsync(string source)
    {
        var test = new Test
        {
            TestCode = source,
            FixedCode = source,
        };
        return test.RunAsync(CancellationToken.None);
    }
}
