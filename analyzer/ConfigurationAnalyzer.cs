using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN0001: a malformed <c>pin_analyzers.*</c> value. The analyzers that read the key fall back to its default;
    /// this analyzer alone reports the value, once per compilation and distinct (key, value), so that several analyzers
    /// reading the same key, or many files under the same <c>.editorconfig</c>, give one finding. See docs/rules/PIN0001.md.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ConfigurationAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN0001InvalidConfigurationValue);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationAction(compilationContext =>
            {
                foreach (var diagnostic in Diagnose(compilationContext.Options.AnalyzerConfigOptionsProvider, compilationContext.Compilation))
                {
                    compilationContext.ReportDiagnostic(diagnostic);
                }
            });
        }

        /// <summary>One PIN0001 per distinct malformed (key, value) seen in the global options or any tree's options.</summary>
        private static IEnumerable<Diagnostic> Diagnose(AnalyzerConfigOptionsProvider provider, Compilation compilation)
        {
            var seen = new HashSet<(string Key, string Value)>();
            var found = new List<(string Key, string Value, ConfigurationError Error)>();

            void Check(AnalyzerConfigOptions options)
            {
                foreach (var key in ConfigurationKeys.All)
                {
                    if (!options.TryGetValue(key.Name, out var value) || !seen.Add((key.Name, value)))
                    {
                        continue;
                    }

                    ConfigurationError? error;
                    try
                    {
                        error = key.Validate(value);
                    }
                    catch (Exception exception) when (exception is not OperationCanceledException)
                    {
                        // A validator that throws is our bug, not the user's: never turn it into AD0001.
                        error = null;
                    }

                    if (error is not null)
                    {
                        found.Add((key.Name, value, error));
                    }
                }
            }

            Check(provider.GlobalOptions);
            foreach (var tree in compilation.SyntaxTrees)
            {
                Check(provider.GetOptions(tree));
            }

            found.Sort((a, b) =>
            {
                var byKey = string.CompareOrdinal(a.Key, b.Key);
                return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
            });

            foreach (var (key, _, error) in found)
            {
                yield return Diagnostic.Create(Descriptors.PIN0001InvalidConfigurationValue, Location.None, key, error.Entry, error.UsedInstead);
            }
        }
    }
}
