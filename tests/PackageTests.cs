using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.CodeAnalysis;
using Xunit;

namespace PinAnalyzers.Tests;

/// <summary>
/// What the PinAnalyzers package tells people before they install it: its description names every rule
/// family the analyzers ship, so it cannot go stale again when a family is added.
/// </summary>
public sealed partial class PackageTests
{
    private static readonly string RepositoryRoot = FindRepositoryRoot();

    public static TheoryData<int> Families()
    {
        var data = new TheoryData<int>();
        foreach (int family in KnownIds().Select(Family).Distinct().Order())
        {
            data.Add(family);
        }

        return data;
    }

    [Fact]
    public void TheRuleIdsAreFound_InTheDescriptorsAndTheReleaseFiles()
    {
        // The test below is only as good as this list: it must see the rules that exist.
        Assert.Contains("PIN1001", DescriptorIds());
        Assert.Contains("PIN5001", DescriptorIds());
        Assert.Contains("PIN1001", ReleaseIds());
        Assert.Contains("PIN2001", ReleaseIds());
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void PackageDescription_DescribesEveryRuleFamily(int family)
    {
        string description = PackageDescription();
        string[] ids = KnownIds().Where(id => Family(id) == family).Order().ToArray();

        // A family is described by its range ("PIN3xxx MemoryHandles: ...") followed by what it finds,
        // or, for a family of one or two rules, by naming each of them.
        Match range = Regex.Match(description, $@"\bPIN{family}xxx\b([^.\n]*)");
        bool byRange = range.Success && range.Groups[1].Value.Trim().Length >= 20;
        bool byIds = ids.All(id => description.Contains(id, StringComparison.Ordinal));
        Assert.True(
            byRange || byIds,
            $"package/PinAnalyzers.Package.csproj's <Description> does not describe the PIN{family}xxx family ({string.Join(", ", ids)}): " +
            $"add a sentence 'PIN{family}xxx <what it finds>: ...'");
    }

    [Fact]
    public void PackageDescription_IsNotTheStaleOne_AndFitsNuGet()
    {
        string description = PackageDescription();
        Assert.InRange(description.Length, 200, 4000); // nuget.org truncates past 4000 characters
        Assert.DoesNotContain("(PIN1001) or not freed on every path", description);
    }

    private static string PackageDescription()
    {
        XDocument project = XDocument.Load(Path.Combine(RepositoryRoot, "package", "PinAnalyzers.Package.csproj"));
        XElement? description = project.Descendants("Description").SingleOrDefault();
        Assert.NotNull(description);
        return description.Value;
    }

    private static int Family(string id) => id[3] - '0';

    private static string[] KnownIds() => DescriptorIds().Union(ReleaseIds()).ToArray();

    /// <summary>Every DiagnosticDescriptor the analyzer assembly declares in a static field.</summary>
    private static string[] DescriptorIds() =>
        typeof(PinnedHandleAnalyzer).Assembly.GetTypes()
            .SelectMany(type => type.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Where(field => field.FieldType == typeof(DiagnosticDescriptor))
            .Select(field => ((DiagnosticDescriptor)field.GetValue(null)!).Id)
            .Distinct()
            .ToArray();

    /// <summary>Every rule id in the release-tracking files (AnalyzerReleases.Shipped.md / Unshipped.md).</summary>
    private static string[] ReleaseIds() =>
        Directory.GetFiles(Path.Combine(RepositoryRoot, "analyzer"), "AnalyzerReleases.*.md")
            .SelectMany(File.ReadLines)
            .Select(line => RuleRow().Match(line))
            .Where(match => match.Success)
            .Select(match => match.Groups[1].Value)
            .Distinct()
            .ToArray();

    [GeneratedRegex(@"^(PIN\d{4})\s*\|")]
    private static partial Regex RuleRow();

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PinAnalyzers.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PinAnalyzers.sln not found above " + AppContext.BaseDirectory);
    }
}
