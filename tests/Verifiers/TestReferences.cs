using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace PinAnalyzers.Tests.Verifiers;

/// <summary>
/// The compilation every test runs against: .NET 10 reference assemblies from Basic.Reference.Assemblies
/// (offline, no NuGet download), C# latest, unsafe code allowed.
/// </summary>
internal static class TestReferences
{
    /// <summary>No reference package: the references come from <see cref="Apply"/>.</summary>
    internal static readonly ReferenceAssemblies None = new("net10.0");

    internal static void Apply(SolutionState state) => state.AdditionalReferences.AddRange(Basic.Reference.Assemblies.Net100.References.All);

    internal static Solution Configure(Solution solution, ProjectId projectId)
    {
        var project = solution.GetProject(projectId)!;
        var options = ((CSharpCompilationOptions)project.CompilationOptions!).WithAllowUnsafe(true);
        var parse = ((CSharpParseOptions)project.ParseOptions!).WithLanguageVersion(LanguageVersion.Preview);
        return solution.WithProjectCompilationOptions(projectId, options).WithProjectParseOptions(projectId, parse);
    }
}
