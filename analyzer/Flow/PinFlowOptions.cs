using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// What the engine needs to know beyond the code: which calls keep a pointer after they return
    /// (DESIGN.md, "Retaining calls"). One instance per distinct configuration, cached by the analyzers.
    /// </summary>
    internal sealed class PinFlowOptions
    {
        /// <summary>The <c>.editorconfig</c> key listing extra retaining methods.</summary>
        internal const string RetainingMethodsKey = "pin_analyzers.retaining_methods";

        internal static readonly PinFlowOptions Default = new(ImmutableHashSet<string>.Empty);

        private readonly ImmutableHashSet<string> _configured;

        private PinFlowOptions(ImmutableHashSet<string> configured)
        {
            _configured = configured;
        }

        /// <summary>
        /// Parses <c>pin_analyzers.retaining_methods</c>: comma-separated <c>Namespace.Type.Method</c> or bare
        /// method names. A malformed value (an entry that is not a dotted identifier) falls back to the default.
        /// </summary>
        internal static PinFlowOptions Parse(string? value) => ParseWithError(value, out _);

        /// <summary>The PIN0001 check of <see cref="RetainingMethodsKey"/>: the first malformed entry, or null.</summary>
        internal static ConfigurationError? Validate(string value)
        {
            ParseWithError(value, out var error);
            return error;
        }

        private static PinFlowOptions ParseWithError(string? value, out ConfigurationError? error)
        {
            error = null;
            if (string.IsNullOrWhiteSpace(value))
            {
                return Default;
            }

            var builder = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
            foreach (var raw in value!.Split(','))
            {
                var entry = raw.Trim();
                if (entry.Length == 0)
                {
                    continue;
                }

                if (!IsDottedIdentifier(entry))
                {
                    error = new ConfigurationError(entry, "no configured retaining methods (only [RetainsPointer] and the well-known asynchronous APIs)");
                    return Default;
                }

                builder.Add(entry);
            }

            return builder.Count == 0 ? Default : new PinFlowOptions(builder.ToImmutable());
        }

        /// <summary>
        /// True when the call keeps the pointer passed as <paramref name="parameter"/>: the method or parameter
        /// carries an attribute named <c>RetainsPointerAttribute</c> (any namespace), the method is configured
        /// in <c>pin_analyzers.retaining_methods</c>, or <see cref="RetainingApis"/> lists it (the asynchronous I/O
        /// and RDMA APIs, and the libraries that keep a caller's buffer).
        /// </summary>
        internal bool IsRetaining(IMethodSymbol method, IParameterSymbol? parameter, IOperation call)
        {
            if (HasRetainsPointer(method) || (parameter is not null && HasRetainsPointer(parameter)))
            {
                return true;
            }

            if (RetainingApis.Find(method, parameter, call) is not null)
            {
                return true;
            }

            if (_configured.IsEmpty)
            {
                return false;
            }

            var name = method.Name;
            if (_configured.Contains(name))
            {
                return true;
            }

            var type = method.ContainingType;
            return type is not null && _configured.Contains(RetainingApis.QualifiedName(type) + "." + name);
        }

        private static bool IsDottedIdentifier(string entry)
        {
            var start = true;
            foreach (var c in entry)
            {
                if (c == '.')
                {
                    if (start)
                    {
                        return false;
                    }

                    start = true;
                    continue;
                }

                if (!(char.IsLetter(c) || c == '_' || (!start && char.IsDigit(c))))
                {
                    return false;
                }

                start = false;
            }

            return !start;
        }

        private static bool HasRetainsPointer(ISymbol symbol)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (string.Equals(attribute.AttributeClass?.Name, "RetainsPointerAttribute", StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Options per syntax tree, from <c>.editorconfig</c> or a global config; parsed once per distinct value.</summary>
        internal sealed class Provider
        {
            private readonly AnalyzerConfigOptionsProvider _options;
            private readonly ConcurrentDictionary<string, PinFlowOptions> _byValue = new(StringComparer.Ordinal);

            internal Provider(AnalyzerConfigOptionsProvider options) => _options = options;

            internal PinFlowOptions For(SyntaxTree tree)
                => _options.GetOptions(tree).TryGetValue(RetainingMethodsKey, out var value)
                    ? _byValue.GetOrAdd(value, Parse)
                    : Default;
        }
    }
}
