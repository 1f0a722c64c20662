using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.AnalyzerVerifier<PinAnalyzers.ConfigurationAnalyzer>;

namespace PinAnalyzers.Tests;

/// <summary>
/// PIN0001 (DESIGN.md rule catalogue): a malformed <c>pin_analyzers.*</c> value falls back to the default and is
/// reported once per compilation and distinct value, without a location, by <see cref="ConfigurationAnalyzer"/> only.
/// </summary>
public sealed class PIN0001InvalidConfigurationValueTests
{
    private const string Source = """
        static class C
        {
            public static void M() { }
        }
        """;

    private const string Fallback = "no configured retaining methods (only [RetainsPointer] and the well-known asynchronous APIs)";

    private static DiagnosticResult Invalid(string entry)
        => Verify.Diagnostic("PIN0001").WithArguments("pin_analyzers.retaining_methods", entry, Fallback);

    private static Verify.Test WithConfigs(params (string Path, string Text)[] configs)
    {
        var test = new Verify.Test();
        test.TestState.Sources.Add(("/0/Test0.cs", Source));
        test.TestState.Sources.Add(("/0/sub/Test1.cs", Source.Replace("class C", "class D")));
        foreach (var config in configs)
        {
            test.TestState.AnalyzerConfigFiles.Add(config);
        }

        return test;
    }

    [Fact]
    public void DescriptorIsAConfigurationWarningReportedAtCompilationEnd()
    {
        var descriptor = Assert.Single(new ConfigurationAnalyzer().SupportedDiagnostics);
        Assert.Equal("PIN0001", descriptor.Id);
        Assert.Equal("Invalid PinAnalyzers configuration value", descriptor.Title.ToString());
        Assert.Equal("Configuration", descriptor.Category);
        Assert.Equal(DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
        Assert.Contains(WellKnownDiagnosticTags.CompilationEnd, descriptor.CustomTags);
    }

    [Fact]
    public void OnlyTheConfigurationAnalyzerReportsIt()
    {
        // Every analyzer that reads a key falls back silently; one analyzer reports, so nothing is doubled.
        var reporters = typeof(ConfigurationAnalyzer).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .Where(a => a.SupportedDiagnostics.Any(d => d.Id == "PIN0001"))
            .ToList();
        var reporter = Assert.Single(reporters);
        Assert.IsType<ConfigurationAnalyzer>(reporter);
    }

    [Fact]
    public Task MalformedEntryIsReportedOnceNamingKeyEntryAndFallback()
        => Verify.VerifyWithConfigAsync(Source, "pin_analyzers.retaining_methods = Acme..Ring.Submit, Submit(byte*), 42, ;\n", Invalid("Acme..Ring.Submit"));

    [Fact]
    public Task FirstMalformedEntryIsNamedWhenEarlierOnesAreValid()
        => Verify.VerifyWithConfigAsync(Source, "pin_analyzers.retaining_methods = Acme.Io.Ring.Submit, Submit(byte*)\n", Invalid("Submit(byte*)"));

    [Fact]
    public Task SameMalformedValueForManyFilesIsReportedOnce()
    {
        var test = WithConfigs(("/.editorconfig", "root = true\n\n[*]\npin_analyzers.retaining_methods = 42\n"));
        test.ExpectedDiagnostics.Add(Invalid("42"));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task SameMalformedValueInTwoEditorConfigFilesIsReportedOnce()
    {
        var test = WithConfigs(
            ("/.editorconfig", "root = true\n\n[*]\npin_analyzers.retaining_methods = 42\n"),
            ("/0/sub/.editorconfig", "[*]\npin_analyzers.retaining_methods = 42\n"));
        test.ExpectedDiagnostics.Add(Invalid("42"));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task DifferentMalformedValuesInSeveralFilesAreEachReportedOnce()
    {
        var test = WithConfigs(
            ("/.editorconfig", "root = true\n\n[*]\npin_analyzers.retaining_methods = 42\n"),
            ("/0/sub/.editorconfig", "[*]\npin_analyzers.retaining_methods = Acme.*\n"));
        test.ExpectedDiagnostics.Add(Invalid("42"));
        test.ExpectedDiagnostics.Add(Invalid("Acme.*"));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task MalformedValueInOneFolderNextToAValidOneElsewhereIsReported()
    {
        var test = WithConfigs(
            ("/.editorconfig", "root = true\n\n[*]\npin_analyzers.retaining_methods = Acme.Io.Ring.Submit\n"),
            ("/0/sub/.editorconfig", "[*]\npin_analyzers.retaining_methods = Acme.Io.Ring.Submit()\n"));
        test.ExpectedDiagnostics.Add(Invalid("Acme.Io.Ring.Submit()"));
        return test.RunAsync(CancellationToken.None);
    }

    [Fact]
    public Task MalformedValueInAGlobalConfigIsReported()
    {
        var test = new Verify.Test { TestCode = Source };
        test.TestState.AnalyzerConfigFiles.Add(("/.globalconfig", "is_global = true\npin_analyzers.retaining_methods = \"Send\"\n"));
        test.ExpectedDiagnostics.Add(Invalid("\"Send\""));
        return test.RunAsync(CancellationToken.None);
    }

    [Theory]
    [InlineData("Acme.Io.Ring.Submit")]
    [InlineData("Acme.Io.Ring.Submit , submit_async,  Enqueue2")]
    [InlineData("a, , b")]
    [InlineData("")]
    public Task ValidValueReportsNothing(string value)
        => Verify.VerifyWithConfigAsync(Source, $"pin_analyzers.retaining_methods = {value}\n");

    [Fact]
    public Task NoConfigurationReportsNothing()
        => Verify.VerifyAsync(Source);

    [Fact]
    public Task UnknownPinAnalyzersKeysAreNotReported()
        => Verify.VerifyWithConfigAsync(Source, "pin_analyzers.retaining_method = Acme..Ring\npin_analyzers.some_future_option = 42 ((\n");

    [Fact]
    public void ValidatorAgreesWithTheParserTheAnalyzersUse()
    {
        Assert.Null(Flow.PinFlowOptions.Validate("Acme.Io.Ring.Submit, Send"));
        var error = Flow.PinFlowOptions.Validate("Send, 9lives");
        Assert.NotNull(error);
        Assert.Equal("9lives", error!.Entry);
        Assert.Same(Flow.PinFlowOptions.Default, Flow.PinFlowOptions.Parse("Send, 9lives"));
    }

    [Fact]
    public void EveryKeyTheAnalyzersReadIsRegistered()
        => Assert.Contains(Flow.ConfigurationKeys.All, key => key.Name == Flow.PinFlowOptions.RetainingMethodsKey);
}
