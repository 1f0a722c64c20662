using System;
using System.Collections.Immutable;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// A malformed <c>pin_analyzers.*</c> value: the entry that does not parse and what the analyzers use instead.
    /// The analyzers fall back silently; <see cref="ConfigurationAnalyzer"/> reports it once as PIN0001.
    /// </summary>
    internal sealed class ConfigurationError
    {
        internal ConfigurationError(string entry, string usedInstead)
        {
            Entry = entry;
            UsedInstead = usedInstead;
        }

        /// <summary>The offending entry as written ("Acme..Ring.Submit").</summary>
        internal string Entry { get; }

        /// <summary>What is used instead, for the message ("no configured retaining methods").</summary>
        internal string UsedInstead { get; }
    }

    /// <summary>One <c>.editorconfig</c> key the analyzers read, with the validation its own parser does.</summary>
    internal sealed class ConfigurationKey
    {
        internal ConfigurationKey(string name, Func<string, ConfigurationError?> validate)
        {
            Name = name;
            Validate = validate;
        }

        internal string Name { get; }

        /// <summary>Null for a valid value; must never throw (a malformed value is data, not a bug).</summary>
        internal Func<string, ConfigurationError?> Validate { get; }
    }

    /// <summary>
    /// Every <c>pin_analyzers.*</c> key, registered once here so that PIN0001 is reported by one analyzer
    /// (<see cref="ConfigurationAnalyzer"/>), however many analyzers read the key. Adding a key is one line: its
    /// name and a validator that runs the key's own parser (the same one the analyzers use, so they cannot disagree).
    /// Unknown <c>pin_analyzers.*</c> keys are not reported: a shared <c>.editorconfig</c> may carry keys of a newer
    /// version of the package (docs/rules/PIN0001.md).
    /// </summary>
    internal static class ConfigurationKeys
    {
        internal static readonly ImmutableArray<ConfigurationKey> All = ImmutableArray.Create(
            new ConfigurationKey(PinFlowOptions.RetainingMethodsKey, PinFlowOptions.Validate));
    }
}
