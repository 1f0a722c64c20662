using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace PinAnalyzers.Tests;

/// <summary>
/// The project's own conventions, checked: every descriptor has a unique id, a help link to its doc page, a
/// doc page whose title matches, and a release-tracking entry; every analyzer and fixer is sealed and
/// exported; every fixer is exercised by some test.
/// </summary>
public sealed partial class MetaTests
{
    private static readonly Assembly AnalyzerAssembly = typeof(PinnedHandleAnalyzer).Assembly;
    private static readonly Assembly CodeFixAssembly = typeof(PinAnalyzers.CodeFixes.FreeInFinallyCodeFix).Assembly;

    public static TheoryData<string> DescriptorIds()
    {
        var data = new TheoryData<string>();
        foreach (var descriptor in AllDescriptors())
        {
            data.Add(descriptor.Id);
        }

        return data;
    }

    public static TheoryData<string> FixerNames()
    {
        var data = new TheoryData<string>();
        foreach (var fixer in Fixers())
        {
            data.Add(fixer.Name);
        }

        return data;
    }

    [Fact]
    public void IdsAreUniqueAndWellFormed()
    {
        var descriptors = AllDescriptors();
        Assert.NotEmpty(descriptors);
        Assert.Equal(descriptors.Length, descriptors.Select(d => d.Id).Distinct().Count());
        Assert.All(descriptors, d => Assert.Matches(IdPattern(), d.Id));
        Assert.All(descriptors, d => Assert.Equal(d.Title.ToString(), descriptors.First(x => x.Id == d.Id).Title.ToString()));
    }

    [Fact]
    public void EveryDescriptorIsSupportedByAnAnalyzer()
    {
        var supported = Analyzers().SelectMany(a => a.SupportedDiagnostics).Select(d => d.Id).ToHashSet();
        Assert.All(AllDescriptors(), d => Assert.Contains(d.Id, supported));
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void DescriptorHasHelpLinkToItsDocPage(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        Assert.EndsWith($"/docs/rules/{id}.md", descriptor.HelpLinkUri);
        Assert.Equal(DiagnosticSeverity.Warning, descriptor.DefaultSeverity);
        Assert.True(descriptor.IsEnabledByDefault);
        Assert.False(string.IsNullOrWhiteSpace(descriptor.Description.ToString()));
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void DescriptorHasDocPageWithMatchingTitle(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        var path = Path.Combine(AppContext.BaseDirectory, "docs", "rules", id + ".md");
        Assert.True(File.Exists(path), $"missing docs/rules/{id}.md");
        var firstLine = File.ReadLines(path).First();
        Assert.Equal($"# {id}: {descriptor.Title}", firstLine);
    }

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void DescriptorHasReleaseEntry(string id)
    {
        var descriptor = AllDescriptors().Single(d => d.Id == id);
        var entries = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "releases"), "AnalyzerReleases.*.md")
            .SelectMany(File.ReadLines)
            .Select(line => line.Split('|').Select(cell => cell.Trim()).ToArray())
            .Where(cells => cells.Length >= 3 && cells[0] == id)
            .ToList();
        var entry = Assert.Single(entries);
        Assert.Equal(descriptor.Category, entry[1]);
        Assert.Equal(descriptor.DefaultSeverity.ToString(), entry[2]);
    }

    [Fact]
    public void AnalyzersAreSealedAndExportedForCSharp()
    {
        foreach (var type in AnalyzerAssembly.GetTypes().Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract))
        {
            Assert.True(type.IsSealed, $"{type.Name} is not sealed");
            var attribute = type.GetCustomAttribute<DiagnosticAnalyzerAttribute>();
            Assert.NotNull(attribute);
            Assert.Contains(LanguageNames.CSharp, attribute!.Languages);
        }
    }

    [Theory]
    [MemberData(nameof(FixerNames))]
    public void FixerIsSealedExportedSharedAndHasEquivalenceKeys(string name)
    {
        var type = Fixers().Single(t => t.Name == name);
        Assert.True(type.IsSealed, $"{name} is not sealed");
        var export = type.GetCustomAttribute<ExportCodeFixProviderAttribute>();
        Assert.NotNull(export);
        Assert.Contains(LanguageNames.CSharp, export!.Languages);
        Assert.False(string.IsNullOrEmpty(export.Name));
        Assert.NotNull(type.GetCustomAttribute<System.Composition.SharedAttribute>());

        var keys = type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral && f.FieldType == typeof(string)).ToList();
        Assert.NotEmpty(keys);

        var fixer = (CodeFixProvider)Activator.CreateInstance(type)!;
        var knownIds = AllDescriptors().Select(d => d.Id).ToHashSet();
        Assert.NotEmpty(fixer.FixableDiagnosticIds);
        Assert.All(fixer.FixableDiagnosticIds, id => Assert.Contains(id, knownIds));
        Assert.NotNull(fixer.GetFixAllProvider());
    }

    [Theory]
    [MemberData(nameof(FixerNames))]
    public void FixerIsExercisedByATest(string name)
    {
        var fixer = Fixers().Single(t => t.Name == name);
        var testAssembly = typeof(MetaTests).Assembly;
        var used = testAssembly.GetTypes()
            .Where(t => t != typeof(MetaTests))
            .SelectMany(t => t.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Any(m => ReferencesType(m, fixer));
        Assert.True(used, $"no test calls a verifier with {name}");
    }

    private static ImmutableArray<DiagnosticDescriptor> AllDescriptors()
        => typeof(Descriptors).GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToImmutableArray();

    private static IEnumerable<DiagnosticAnalyzer> Analyzers()
        => AnalyzerAssembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!);

    private static IEnumerable<Type> Fixers()
        => CodeFixAssembly.GetTypes().Where(t => typeof(CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract);

    /// <summary>True when the IL of <paramref name="method"/> calls or creates something generic over <paramref name="type"/>.</summary>
    private static bool ReferencesType(MethodInfo method, Type type)
    {
        byte[]? il;
        try
        {
            il = method.GetMethodBody()?.GetILAsByteArray();
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        if (il is null)
        {
            return false;
        }

        for (var i = 0; i + 4 < il.Length; i++)
        {
            // call, callvirt, newobj, ldftn, ldtoken take a 4-byte metadata token.
            if (il[i] is not (0x28 or 0x6F or 0x73 or 0xD0))
            {
                continue;
            }

            var token = BitConverter.ToInt32(il, i + 1);
            try
            {
                var member = method.Module.ResolveMember(token, method.DeclaringType?.GetGenericArguments(), method.GetGenericArguments());
                var declaring = member?.DeclaringType;
                if (declaring is not null && (declaring == type || declaring.GetGenericArguments().Contains(type)
                    || (member is MethodInfo { IsGenericMethod: true } generic && generic.GetGenericArguments().Contains(type))))
                {
                    return true;
                }
            }
            catch (ArgumentException)
            {
                // Not a member token at this offset.
            }
        }

        return false;
    }

    [GeneratedRegex("^PIN[0-9]{4}$")]
    private static partial Regex IdPattern();
}
