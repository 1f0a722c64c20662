using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace PinAnalyzers.Flow
{
    /// <summary>
    /// What the engine needs to know beyond the code: which calls keep a pointer after they return
    /// (DESIGN.md, "Retaining calls"). Built once per compilation (and per configured tree) by the analyzers.
    /// </summary>
    internal sealed class PinFlowOptions
    {
        internal static readonly PinFlowOptions Default = new(ImmutableHashSet<string>.Empty);

        private readonly ImmutableHashSet<string> _retainingMethods;

        internal PinFlowOptions(ImmutableHashSet<string> retainingMethods)
        {
            _retainingMethods = retainingMethods;
        }

        /// <summary>
        /// True when a call to <paramref name="method"/> keeps the pointer passed as <paramref name="parameter"/>:
        /// the method or parameter carries an attribute named <c>RetainsPointerAttribute</c> (any namespace),
        /// or the method is configured in <c>pin_analyzers.retaining_methods</c>.
        /// </summary>
        internal bool IsRetaining(IMethodSymbol method, IParameterSymbol? parameter)
        {
            if (HasRetainsPointer(method) || (parameter is not null && HasRetainsPointer(parameter)))
            {
                return true;
            }

            if (_retainingMethods.IsEmpty)
            {
                return false;
            }

            if (_retainingMethods.Contains(method.Name))
            {
                return true;
            }

            var type = method.ContainingType;
            return type is not null && _retainingMethods.Contains(type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat.WithGenericsOptions(SymbolDisplayGenericsOptions.None)) + "." + method.Name);
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
    }
}
