using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN1004's fact: whether the value that <c>GCHandle.Alloc(value, Pinned)</c> boxed is observed after the call, so
    /// that native writes into the box (or later changes of the value) are silently lost (docs/rules/PIN1004.md).
    /// </summary>
    /// <remarks>
    /// The original is observed when it is a field, an array element, <c>this</c> of a struct, or a <c>ref</c>/<c>out</c>
    /// parameter (other code reads it); and when it is a local or a by-value (or <c>in</c>) parameter that the method uses
    /// after the call — a later reference, any reference in a loop around the call when the variable lives across
    /// iterations, or any reference from a lambda or local function. A struct member (<c>s.Inner</c>) is judged by its
    /// root. A value with no variable behind it (a call's result, a creation, a constant, a property's copy) can only be
    /// read back through the box: the deliberate box-to-get-an-address idiom, not reported.
    /// </remarks>
    internal static class BoxedCopies
    {
        internal static bool OriginalObservedAfter(PinSite site, IOperation boxed, MethodFlow method)
        {
            var original = boxed.WalkDownConversions();
            for (var depth = 0; depth < 8 && original is IFieldReferenceOperation { Instance: { Type.IsValueType: true } instance }; depth++)
            {
                if (instance is IInstanceReferenceOperation)
                {
                    // A field of this struct: the caller's variable.
                    return true;
                }

                original = instance.WalkDownConversions();
            }

            switch (original)
            {
                case IFieldReferenceOperation or IArrayElementReferenceOperation or IInstanceReferenceOperation:
                    return true;
                case IParameterReferenceOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out }:
                    return true;
                case IParameterReferenceOperation parameter:
                    return UsedAfter(site, parameter.Parameter, method);
                case ILocalReferenceOperation { Local.IsRef: true }:
                    return true;
                case ILocalReferenceOperation local:
                    return UsedAfter(site, local.Local, method);
                default:
                    return false;
            }
        }

        private static bool UsedAfter(PinSite site, ISymbol variable, MethodFlow method)
        {
            var function = method.FunctionOf(site.Operation);
            if (function.Symbol is not null && !SymbolEqualityComparer.Default.Equals(variable.ContainingSymbol, function.Symbol))
            {
                // Captured from an enclosing function, which may read it after the lambda ran.
                return true;
            }

            var pinEnd = site.Syntax.Span.End;
            var loops = LoopsAround(site.Operation, function, variable);
            foreach (var reference in function.ReferencesTo(variable))
            {
                if (site.Syntax.Span.Contains(reference.Syntax.Span))
                {
                    // The boxed argument itself.
                    continue;
                }

                if (reference.Syntax.SpanStart >= pinEnd || function.NestedFunctionOf(reference) is not null)
                {
                    return true;
                }

                foreach (var loop in loops)
                {
                    if (loop.Contains(reference.Syntax.Span))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The loops around the pin whose iterations share <paramref name="variable"/> (declared outside the body; a foreach variable is fresh per iteration).</summary>
        private static System.Collections.Generic.List<Microsoft.CodeAnalysis.Text.TextSpan> LoopsAround(IOperation pin, FunctionFlow function, ISymbol variable)
        {
            var loops = new System.Collections.Generic.List<Microsoft.CodeAnalysis.Text.TextSpan>();
            var declaredAt = variable.DeclaringSyntaxReferences.Length > 0 ? variable.DeclaringSyntaxReferences[0].Span : default;
            for (var current = pin.Parent; current is not null && !ReferenceEquals(current, function.Function); current = current.Parent)
            {
                if (current is ILoopOperation loop && (variable is IParameterSymbol || !(loop is IForEachLoopOperation ? loop.Syntax.Span : loop.Body.Syntax.Span).Contains(declaredAt)))
                {
                    loops.Add(loop.Syntax.Span);
                }
            }

            return loops;
        }
    }
}
