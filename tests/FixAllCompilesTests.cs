using System.Collections.Immutable;
using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace PinAnalyzers.Tests;

/// <summary>
/// Every exported fixer, for every rule it fixes, runs its Fix All over that rule's fixture in samples/FixFixtures
/// (<c>PINxxxx.&lt;Fixer&gt;.cs</c> when the rule has several fixes, else <c>PINxxxx.cs</c>): the fixture has the bug,
/// and the result compiles with no diagnostic of that rule left. Fixers are found by reflection, so a new fixer
/// without a fixture fails here.
/// </summary>
public sealed class FixAllCompilesTests
{
    private static readonly Assembly AnalyzerAssembly = typeof(PinnedHandleAnalyzer).Assembly;
    private static readonly Assembly CodeFixAssembly = typeof(PinAnalyzers.CodeFixes.FreeInFinallyCodeFix).Assembly;
    private static readonly MetadataReference Leases = MetadataReference.CreateFromFile(typeof(PinAnalyzers.Leases.PinBudget).Assembly.Location);
    private static readonly string FixtureDirectory = Path.Combine(AppContext.BaseDirectory, "fixfixtures");

    public static TheoryData<string, string> FixerRules()
    {
        var data = new TheoryData<string, string>();
        foreach (var type in Fixers())
        {
            var fixer = (CodeFixProvider)Activator.CreateInstance(type)!;
            foreach (var id in fixer.FixableDiagnosticIds)
            {
                data.Add(type.Name, id);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FixerRules))]
    public async Task FixAllOverTheRulesFixture_CompilesWithNoDiagnosticOfTheRuleLeft(string fixerName, string id)
    {
        var fixture = FixtureFor(id, fixerName);
        Assert.True(fixture is not null, $"{fixerName} fixes {id} but samples/FixFixtures has neither {id}.{fixerName}.cs nor {id}.cs");

        using var workspace = new AdhocWorkspace();
        var projectId = ProjectId.CreateNewId();
        var solution = workspace.CurrentSolution
            .AddProject(ProjectInfo.Create(
                projectId,
                VersionStamp.Create(),
                "Fixture",
                "Fixture",
                LanguageNames.CSharp,
                compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true),
                parseOptions: new CSharpParseOptions(LanguageVersion.Preview),
                metadataReferences: Basic.Reference.Assemblies.Net100.References.All.Cast<MetadataReference>().Append(Leases)))
            .AddDocument(DocumentId.CreateNewId(projectId), Path.GetFileName(fixture!), SourceText.From(File.ReadAllText(fixture!)), filePath: fixture);
        var document = solution.Projects.Single().Documents.Single();
        var analyzers = Analyzers(id);

        var (errors, diagnostics) = await DiagnoseAsync(document.Project, analyzers, id);
        Assert.True(errors.IsEmpty, $"the fixture {Path.GetFileName(fixture)} does not compile:\n{string.Join("\n", errors)}");
        Assert.True(!diagnostics.IsEmpty, $"the fixture {Path.GetFileName(fixture)} has no {id}");

        var fixer = (CodeFixProvider)Activator.CreateInstance(Fixers().Single(t => t.Name == fixerName))!;
        var actions = new List<CodeAction>();
        await fixer.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostics[0], (action, _) => actions.Add(action), CancellationToken.None));
        Assert.True(actions.Count > 0, $"{fixerName} offers no fix for the first {id} of {Path.GetFileName(fixture)}: {diagnostics[0]}");

        var fixAll = fixer.GetFixAllProvider();
        Assert.NotNull(fixAll);
        var context = new FixAllContext(document, fixer, FixAllScope.Document, actions[0].EquivalenceKey, new[] { id }, new Diagnostics(diagnostics), CancellationToken.None);
        var fixAllAction = await fixAll!.GetFixAsync(context);
        Assert.NotNull(fixAllAction);
        var changed = (await fixAllAction!.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var fixedProject = changed.GetProject(projectId)!;
        var fixedText = (await fixedProject.Documents.Single().GetTextAsync()).ToString();

        var (fixedErrors, left) = await DiagnoseAsync(fixedProject, analyzers, id);
        Assert.True(fixedErrors.IsEmpty, $"Fix All of {fixerName} does not compile:\n{string.Join("\n", fixedErrors)}\n{fixedText}");
        Assert.True(left.IsEmpty, $"Fix All of {fixerName} leaves {left.Length} {id}:\n{string.Join("\n", left)}\n{fixedText}");
    }

    [Fact]
    public void EveryFixtureBelongsToARuleWithAFix()
    {
        var fixed_ = Fixers().SelectMany(t => ((CodeFixProvider)Activator.CreateInstance(t)!).FixableDiagnosticIds.Select(id => (Id: id, Fixer: t.Name))).ToList();
        var fixtures = Directory.GetFiles(FixtureDirectory, "PIN*.cs").Select(Path.GetFileNameWithoutExtension).ToList();
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures)
        {
            var parts = fixture!.Split('.');
            Assert.True(
                parts.Length == 1 ? fixed_.Any(f => f.Id == parts[0]) : fixed_.Any(f => f.Id == parts[0] && f.Fixer == parts[1]),
                $"samples/FixFixtures/{fixture}.cs names no fixer's rule");
        }
    }

    private static string? FixtureFor(string id, string fixerName)
    {
        foreach (var name in new[] { $"{id}.{fixerName}.cs", $"{id}.cs" })
        {
            var path = Path.Combine(FixtureDirectory, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static async Task<(ImmutableArray<Diagnostic> Errors, ImmutableArray<Diagnostic> Diagnostics)> DiagnoseAsync(Project project, ImmutableArray<DiagnosticAnalyzer> analyzers, string id)
    {
        var compilation = (await project.GetCompilationAsync())!;
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToImmutableArray();
        var all = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        Assert.DoesNotContain(all, d => d.Id == "AD0001");
        return (errors, all.Where(d => d.Id == id).OrderBy(d => d.Location.SourceSpan.Start).ToImmutableArray());
    }

    private static ImmutableArray<DiagnosticAnalyzer> Analyzers(string id)
        => AnalyzerAssembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!)
            .Where(a => a.SupportedDiagnostics.Any(d => d.Id == id))
            .ToImmutableArray();

    private static IEnumerable<Type> Fixers()
        => CodeFixAssembly.GetTypes().Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract && t.GetCustomAttribute<ExportCodeFixProviderAttribute>() is not null);

    private sealed class Diagnostics : FixAllContext.DiagnosticProvider
    {
        private readonly ImmutableArray<Diagnostic> _diagnostics;

        internal Diagnostics(ImmutableArray<Diagnostic> diagnostics) => _diagnostics = diagnostics;

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult(Enumerable.Empty<Diagnostic>());

        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken)
            => Task.FromResult<IEnumerable<Diagnostic>>(_diagnostics);
    }
}
