using System;
using System.Collections.Immutable;

namespace PinAnalyzers.Flow
{
    /// <summary>One <c>.editorconfig</c> key the analyzers read, with the validation its own parser does.</summary>
    internal sealed class ConfigurationKey
    {
        internal ConfigurationKey(string name, Func<string, string?> validate)
        {
            Name = name;
            Validate = validate;
        }

        internal string Name { get; }

        /// <summary>
        /// Null for a valid value; otherwise what is wrong and what is used instead, naming the bad entry
        /// ("'Acme..Ring.Submit' is not …; no configured retaining methods are used"). Must never throw.
        /// </summary>
        internal Func<string, string?> Validate { get; }
    }

    /// <summary>
    /// Every <c>pin_analyzers.*</c> key, registered once here so that PIN0001 is reported by one analyzer
    /// (<see cref="ConfigurationAnalyzer"/>), however many analyzers read the key. Adding a key is one line: its
    /// name and the error half of the key's own parser (the one the analyzers use, so they cannot disagree).
    /// Unknown <c>pin_analyzers.*</c> keys are not reported: a shared <c>.editorconfig</c> may carry keys of a newer
    /// version of the package (docs/rules/PIN0001.md).
    /// </summary>
    internal static class ConfigurationKeys
    {
        internal static readonly ImmutableArray<ConfigurationKey> All = ImmutableArray.Create(
            new ConfigurationKey(PinFlowOptions.RetainingMethodsKey, PinFlowOptions.Validate),
            new ConfigurationKey(DaxPaths.Key, value => DaxPaths.Parse(value).Error));
    }
}
