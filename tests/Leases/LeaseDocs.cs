using System.Text.RegularExpressions;

namespace PinAnalyzers.Tests.Leases;

/// <summary>Reads docs/leases.md and the example sources its code blocks are copied from.</summary>
internal static class LeaseDocs
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Read(params string[] relativePath) =>
        File.ReadAllText(Path.Combine([RepositoryRoot, .. relativePath]));

    /// <summary>The ```csharp blocks of docs/leases.md, in order.</summary>
    public static string[] CSharpBlocks() =>
        Read("docs", "leases.md").Split("```csharp")
            .Skip(1)
            .Select(block => block[..block.IndexOf("```", StringComparison.Ordinal)])
            .ToArray();

    /// <summary>The class a block declares ("public sealed class X", "public static class X"), or null.</summary>
    public static string? DeclaredClass(string block)
    {
        Match match = Regex.Match(block.TrimStart(), @"^public (?:sealed |static )?class (\w+)");
        return match.Success ? match.Groups[1].Value : null;
    }

    /// <summary>Code without indentation or blank lines, so that a copy compares equal to its source.</summary>
    public static string Normalize(string code)
        => string.Join("\n", code.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0));

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docs", "leases.md")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("docs/leases.md not found above " + AppContext.BaseDirectory);
    }
}
