using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// The paths on a DAX (persistent-memory) file system, from <c>.editorconfig</c> <c>pin_analyzers.dax_paths</c>
    /// (DESIGN.md, "DAX paths"). Device-DAX (<c>/dev/dax*</c>) is never one: the kernel honours long-term pins there.
    /// </summary>
    /// <remarks>
    /// Glob syntax: <c>*</c> matches within one path segment, <c>**</c> across segments, <c>?</c> one character of a
    /// segment; <c>\</c> counts as <c>/</c> in globs and paths, so Windows DAX volumes can be listed as <c>D:/pmem/**</c>.
    /// An entry is malformed when it holds a character this syntax does not define (<c>[ ] { } ! "</c>, a control
    /// character), three or more stars in a row, or when the value has no entry at all; a malformed value falls back to
    /// the default as a whole.
    /// </remarks>
    internal sealed class DaxPaths
    {
        internal const string Key = "pin_analyzers.dax_paths";

        internal const string DefaultValue = "/mnt/pmem*/**, /pmem*/**, /mnt/dax*/**";

        internal static readonly DaxPaths Default = Parse(DefaultValue).Paths;

        private readonly ImmutableArray<string> _globs;

        private DaxPaths(ImmutableArray<string> globs) => _globs = globs;

        internal ImmutableArray<string> Globs => _globs;

        /// <summary>
        /// Parses a <c>pin_analyzers.dax_paths</c> value. The error is null for a well-formed value; otherwise it says what
        /// is wrong (for PIN0001) and the paths are the default.
        /// </summary>
        internal static (DaxPaths Paths, string? Error) Parse(string? value)
        {
            if (value is null)
            {
                return (Default, null);
            }

            var globs = ImmutableArray.CreateBuilder<string>();
            foreach (var raw in value.Split(','))
            {
                var entry = raw.Trim();
                if (entry.Length == 0)
                {
                    continue;
                }

                if (Malformed(entry) is { } why)
                {
                    return (Default ?? new DaxPaths(ImmutableArray<string>.Empty), $"'{entry}' {why}; the default '{DefaultValue}' is used");
                }

                globs.Add(entry.Replace('\\', '/'));
            }

            if (globs.Count == 0)
            {
                return (Default ?? new DaxPaths(ImmutableArray<string>.Empty), $"the value lists no glob; the default '{DefaultValue}' is used");
            }

            return (new DaxPaths(globs.ToImmutable()), null);
        }

        private static string? Malformed(string entry)
        {
            var stars = 0;
            foreach (var c in entry)
            {
                if (c is '[' or ']' or '{' or '}' or '!' or '"' || char.IsControl(c))
                {
                    return $"holds '{(char.IsControl(c) ? "\\u" + ((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture) : c.ToString())}', which a DAX path glob does not allow";
                }

                stars = c == '*' ? stars + 1 : 0;
                if (stars > 2)
                {
                    return "holds '***', which is not a glob";
                }
            }

            return null;
        }

        /// <summary>True when <paramref name="path"/> (complete, or only a known prefix) is on a DAX file system.</summary>
        /// <param name="complete">False when only a prefix of the path is known: then every completion must match.</param>
        internal bool Matches(string path, bool complete)
        {
            path = path.Replace('\\', '/');
            if (path.StartsWith("/dev/dax", StringComparison.Ordinal) || path.StartsWith("/dev/", StringComparison.Ordinal))
            {
                // Device-DAX and other device nodes: the kernel honours long-term pins of /dev/dax mappings.
                return false;
            }

            foreach (var glob in _globs)
            {
                if (complete)
                {
                    if (Glob(glob, 0, path, 0))
                    {
                        return true;
                    }

                    continue;
                }

                // A prefix matches when it already names a directory the glob covers with a trailing "/**".
                if (glob.EndsWith("/**", StringComparison.Ordinal))
                {
                    var directory = glob.Substring(0, glob.Length - 3);
                    for (var slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1))
                    {
                        if (Glob(directory, 0, path.Substring(0, slash), 0))
                        {
                            return true;
                        }
                    }
                }
                else if (glob == "**")
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Glob(string glob, int g, string path, int p)
        {
            while (g < glob.Length)
            {
                var c = glob[g];
                if (c == '*')
                {
                    var deep = g + 1 < glob.Length && glob[g + 1] == '*';
                    var next = deep ? g + 2 : g + 1;
                    if (deep && next < glob.Length && glob[next] == '/' && Glob(glob, next + 1, path, p))
                    {
                        // "a/**/b" also matches "a/b".
                        return true;
                    }

                    for (var end = p; end <= path.Length; end++)
                    {
                        if (Glob(glob, next, path, end))
                        {
                            return true;
                        }

                        if (end < path.Length && path[end] == '/' && !deep)
                        {
                            return false;
                        }
                    }

                    return false;
                }

                if (p >= path.Length)
                {
                    return false;
                }

                if (c == '?' ? path[p] == '/' : c != path[p])
                {
                    return false;
                }

                g++;
                p++;
            }

            return p == path.Length;
        }

        /// <summary>The paths per syntax tree; each distinct value is parsed once.</summary>
        internal sealed class Provider
        {
            private readonly AnalyzerConfigOptionsProvider _options;
            private readonly ConcurrentDictionary<string, DaxPaths> _byValue = new(StringComparer.Ordinal);

            internal Provider(AnalyzerConfigOptionsProvider options) => _options = options;

            internal DaxPaths For(SyntaxTree tree)
                => _options.GetOptions(tree).TryGetValue(Key, out var value)
                    ? _byValue.GetOrAdd(value, v => Parse(v).Paths)
                    : Default;
        }
    }
}
