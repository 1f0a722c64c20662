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

        /// <summary>Well-known asynchronous native APIs that keep the buffer until the operation completes.</summary>
        private static readonly ImmutableHashSet<string> s_wellKnown = ImmutableHashSet.Create(
            StringComparer.Ordinal,
            "aio_read",
            "aio_write",
            "aio_read64",
            "aio_write64",
            "io_uring_register_buffers",
            "ibv_reg_mr",
            "ibv_post_send",
            "ibv_post_recv");

        /// <summary>Windows calls that keep the buffer when given a non-null OVERLAPPED (asynchronous I/O).</summary>
        private static readonly ImmutableHashSet<string> s_overlapped = ImmutableHashSet.Create(
            StringComparer.Ordinal,
            "ReadFile",
            "WriteFile",
            "ReadFileEx",
            "WriteFileEx",
            "DeviceIoControl",
            "WSARecv",
            "WSASend",
            "WSARecvFrom",
            "WSASendTo",
            "ReadDirectoryChangesW",
            "ConnectNamedPipe",
            "TransmitFile",
            "AcceptEx");

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
        /// in <c>pin_analyzers.retaining_methods</c>, or it is one of the well-known asynchronous native APIs.
        /// </summary>
        internal bool IsRetaining(IMethodSymbol method, IParameterSymbol? parameter, IOperation call)
        {
            if (HasRetainsPointer(method) || (parameter is not null && HasRetainsPointer(parameter)))
            {
                return true;
            }

            var name = method.Name;
            if (s_wellKnown.Contains(name) || name.StartsWith("io_uring_prep_", StringComparison.Ordinal))
            {
                return true;
            }

            if (s_overlapped.Contains(name) && HasNonNullOverlapped(call))
            {
                return true;
            }

            if (_configured.IsEmpty)
            {
                return false;
            }

            if (_configured.Contains(name))
            {
                return true;
            }

            var type = method.ContainingType;
            return type is not null && _configured.Contains(QualifiedName(type) + "." + name);
        }

        private static string QualifiedName(INamedTypeSymbol type)
        {
            var name = type.Name;
            for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
            {
                name = outer.Name + "." + name;
            }

            var ns = type.ContainingNamespace;
            return ns is null || ns.IsGlobalNamespace ? name : ns.ToDisplayString() + "." + name;
        }

        private static bool HasNonNullOverlapped(IOperation call)
        {
            var arguments = call switch
            {
                IInvocationOperation invocation => invocation.Arguments,
                _ => ImmutableArray<IArgumentOperation>.Empty,
            };

            foreach (var argument in arguments)
            {
                var parameter = argument.Parameter;
                if (parameter is null)
                {
                    continue;
                }

                var typeName = parameter.Type is IPointerTypeSymbol pointer ? pointer.PointedAtType.Name : parameter.Type.Name;
                if (parameter.Name.IndexOf("overlapped", StringComparison.OrdinalIgnoreCase) < 0
                    && typeName.IndexOf("OVERLAPPED", StringComparison.OrdinalIgnoreCase) < 0)
                {
                    continue;
                }

                return !IsNull(argument.Value);
            }

            return false;
        }

        private static bool IsNull(IOperation value)
        {
            var stripped = value.WalkDownConversions();
            if (stripped is IDefaultValueOperation || stripped is ILiteralOperation { ConstantValue: { HasValue: true, Value: null } })
            {
                return true;
            }

            if (stripped?.ConstantValue is { HasValue: true } constant)
            {
                return constant.Value is null || (constant.Value is int i && i == 0) || (constant.Value is long l && l == 0);
            }

            return stripped is IFieldReferenceOperation { Field.Name: "Zero" } zero && zero.Field.ContainingType?.SpecialType is SpecialType.System_IntPtr or SpecialType.System_UIntPtr;
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
