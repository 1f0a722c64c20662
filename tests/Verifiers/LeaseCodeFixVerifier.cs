using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary><see cref="CodeFixVerifier{TAnalyzer, TCodeFix}"/> with the lease library referenced by the test compilation.</summary>
internal static class LeaseCodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    internal static CodeFixVerifier<TAnalyzer, TCodeFix>.Test Create(string source, string fixedSource, string equivalenceKey)
    {
        var test = new CodeFixVerifier<TAnalyzer, TCodeFix>.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = equivalenceKey,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<TAnalyzer>.Leases);
        return test;
    }

    internal static Task VerifyFixAsync(string source, string fixedSource, string equivalenceKey, LanguageVersion? languageVersion = null)
    {
        var test = Create(source, fixedSource, equivalenceKey);
        if (languageVersion is { } version)
        {
            test.UseLanguageVersion(version);
        }

        return test.RunAsync(CancellationToken.None);
    }

    /// <summary>One fix at a time over <paramref name="iterations"/> rounds, and Fix All in one go, both give <paramref name="fixedSource"/>.</summary>
    internal static Task VerifyFixAllAsync(string source, string fixedSource, string equivalenceKey, int iterations)
    {
        var test = Create(source, fixedSource, equivalenceKey);
        test.BatchFixedCode = fixedSource;
        test.NumberOfIncrementalIterations = iterations;
        test.NumberOfFixAllIterations = 1;
        return test.RunAsync(CancellationToken.None);
    }

    internal static Task VerifyNoFixAsync(string source)
    {
        var test = Create(source, source, string.Empty);
        test.CodeActionEquivalenceKey = null;
        return test.RunAsync(CancellationToken.None);
    }
}
