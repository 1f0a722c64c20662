using System.Collections.Generic;
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
    /// read back through the box: the deliberate box-to-get-an-address idiom, not reported. Nor is an original that the
    /// method assigns, after the pin, from data read through the handle (<c>dest = (T)Marshal.PtrToStructure(ptr, …)</c>
    /// where <c>ptr = handle.AddrOfPinnedObject()</c>, or <c>value = (T)handle.Target</c>): the code copies the box back.
    /// </remarks>
    internal static class BoxedCopies
    {
        /// <param name="handleHolders">The locals and fields that hold the handle (<see cref="PinFate.HandleHolders"/>).</param>
        internal static bool OriginalObservedAfter(PinSite site, IOperation boxed, MethodFlow method, System.Collections.Immutable.ImmutableArray<ISymbol> handleHolders)
        {
            var original = boxed.WalkDownConversions();
            if (CopiedBack(site, original, method, handleHolders))
            {
                return false;
            }

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

        /// <summary>
        /// True when, after the pin, the method assigns <paramref name="original"/> (a local, a parameter or a field of
        /// <c>this</c>) whole from a value that reads through the handle: a holder of the handle or a local given its
        /// address (<c>IntPtr ptr = handle.AddrOfPinnedObject()</c>).
        /// </summary>
        private static bool CopiedBack(PinSite site, IOperation? original, MethodFlow method, System.Collections.Immutable.ImmutableArray<ISymbol> handleHolders)
        {
            var variable = original switch
            {
                ILocalReferenceOperation local => (ISymbol)local.Local,
                IParameterReferenceOperation parameter => parameter.Parameter,
                IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field => field.Field,
                _ => null,
            };

            if (variable is null || handleHolders.IsDefaultOrEmpty)
            {
                return false;
            }

            var function = method.FunctionOf(site.Operation);
            var carriers = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var handle in handleHolders)
            {
                carriers.Add(handle);
                foreach (var reference in function.ReferencesTo(handle))
                {
                    if (AssignedLocal(reference) is { } carrier)
                    {
                        carriers.Add(carrier);
                    }
                }
            }

            var pinEnd = site.Syntax.Span.End;
            foreach (var reference in function.ReferencesTo(variable))
            {
                if (reference.Syntax.SpanStart < pinEnd
                    || reference.Parent is not ISimpleAssignmentOperation assignment
                    || !ReferenceEquals(assignment.Target, reference)
                    || reference is IFieldReferenceOperation { Instance: not (null or IInstanceReferenceOperation) })
                {
                    continue;
                }

                foreach (var part in assignment.Value.SelfAndDescendants())
                {
                    if (part.ReferencedSymbol() is { } read && carriers.Contains(read))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>The local that a value derived from <paramref name="reference"/> (its address, its target, a conversion) is stored in.</summary>
        private static ILocalSymbol? AssignedLocal(IOperation reference)
        {
            var current = reference;
            for (var depth = 0; depth < 4 && current.Parent is IInvocationOperation or IPropertyReferenceOperation or IConversionOperation; depth++)
            {
                current = current.Parent;
            }

            return current.Parent switch
            {
                IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } => declarator.Symbol,
                ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when ReferenceEquals(assignment.Value, current) => local.Local,
                _ => null,
            };
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
