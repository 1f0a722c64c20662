using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;

namespace PinAnalyzers
{
    /// <summary>
    /// PIN2003: <c>Unsafe.AsPointer(ref x)</c> where <c>x</c> is known heap memory — an array element, a field
    /// of a class, <c>MemoryMarshal.GetArrayDataReference</c>, string data — that is not on the Pinned Object
    /// Heap and not pinned by an enclosing <c>fixed</c> over the same object. Locals, <c>ref</c> parameters of
    /// unknown origin and static fields are never reported. See docs/rules/PIN2003.md.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UnsafeAsPointerAnalyzer : PinAnalyzerBase
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.PIN2003AddressOfMovableMemory);

        private protected override void OnCompilationStart(CompilationStartAnalysisContext context, PinApis apis)
        {
            if (PinSiteFinders.UnsafeAsPointer.Bind(apis) is not { } findSite)
            {
                return;
            }

            var pinnedObjectHeap = new PinnedObjectHeap(apis);
            var handleFields = new System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool>(SymbolEqualityComparer.Default);
            context.RegisterOperationAction(
                operationContext =>
                {
                    if (findSite(operationContext.Operation) is { } site
                        && Unpinned(site, apis, pinnedObjectHeap, operationContext.CancellationToken, handleFields) is { } movable)
                    {
                        operationContext.ReportDiagnostic(Diagnostic.Create(Descriptors.PIN2003AddressOfMovableMemory, site.Syntax.GetLocation(), movable));
                    }
                },
                OperationKind.Invocation);
        }

        /// <summary>
        /// PIN2003's verdict on an <c>Unsafe.AsPointer</c> site (shared with the inventory, PIN9001): the movable heap
        /// memory it takes the address of without a pin ("an array element"), or null when it is not known to be such.
        /// </summary>
        /// <param name="handleFields">A per-compilation cache of "a pinned-handle field of the type targets this field"; null to compute it.</param>
        internal static string? Unpinned(
            PinSite site,
            PinApis apis,
            PinnedObjectHeap pinnedObjectHeap,
            System.Threading.CancellationToken cancellationToken,
            System.Collections.Concurrent.ConcurrentDictionary<IFieldSymbol, bool>? handleFields = null)
        {
            if (site.Target is not { } reference || site.Operation is not IInvocationOperation invocation
                || Classify(reference, apis, pinnedObjectHeap) is not { } movable
                || PinnedByFixed(site.Syntax, movable.Owner, site.Operation.SemanticModel, cancellationToken))
            {
                return null;
            }

            // Memory that something else already holds still (DESIGN.md, "Memory already pinned is not movable").
            if (AlreadyPinned.ByLiveHandle(invocation, movable.Owner, apis)
                || (movable.Owner is IFieldSymbol { IsStatic: false } field
                    && (handleFields?.GetOrAdd(field, AlreadyPinned.ByHandleField) ?? AlreadyPinned.ByHandleField(field)))
                || AlreadyPinned.UnderAllocationFlag(invocation, movable.Owner, cancellationToken)
                || AlreadyPinned.UnderAllocationFlag(invocation, movable.ElementsOf, cancellationToken, elements: true)
                || AlreadyPinned.OnlyCompared(invocation)
                || RecentPinnedAllocation.Holds(reference, invocation.Syntax))
            {
                return null;
            }

            return movable.Description;
        }

        private readonly struct Movable
        {
            internal Movable(string description, ISymbol? owner, ISymbol? elementsOf = null)
            {
                Description = description;
                Owner = owner;
                ElementsOf = elementsOf;
            }

            /// <summary>For an element of a jagged array (<c>ref values[i][0]</c>): the local or field holding the outer array.</summary>
            internal ISymbol? ElementsOf { get; }

            internal string Description { get; }

            /// <summary>The local, parameter or field holding the object, to match an enclosing <c>fixed</c>.</summary>
            internal ISymbol? Owner { get; }
        }

        /// <summary>What heap memory the reference points into, or null when it is not known to be movable heap memory.</summary>
        private static Movable? Classify(IOperation reference, PinApis apis, PinnedObjectHeap pinnedObjectHeap)
        {
            for (var depth = 0; depth < 8; depth++)
            {
                reference = reference.WalkDownConversions()!;
                switch (reference)
                {
                    case IInvocationOperation { Arguments.Length: > 0 } call when IsRefPassThrough(call.TargetMethod, apis):
                        // Unsafe.As / Add / AddByteOffset / AsRef keep pointing into the same object.
                        reference = call.Arguments[0].Value;
                        continue;

                    case IArrayElementReferenceOperation element:
                        return pinnedObjectHeap.Holds(element.ArrayReference, method: null) ? null
                            : new Movable("an array element", OwnerOf(element.ArrayReference),
                                element.ArrayReference.WalkDownConversions() is IArrayElementReferenceOperation outer ? OwnerOf(outer.ArrayReference) : null);

                    case IFieldReferenceOperation field:
                        return ClassifyField(field, pinnedObjectHeap);

                    case IInvocationOperation { Arguments.Length: 1 } data when data.TargetMethod.Name == "GetArrayDataReference"
                        && SymbolEqualityComparer.Default.Equals(data.TargetMethod.ContainingType, apis.MemoryMarshal):
                        return pinnedObjectHeap.Holds(data.Arguments[0].Value, method: null) ? null : new Movable("array data", OwnerOf(data.Arguments[0].Value));

                    case IInvocationOperation { TargetMethod.Name: "GetPinnableReference" } pinnable when pinnable.Instance?.Type?.SpecialType == SpecialType.System_String:
                        return new Movable("string data", OwnerOf(pinnable.Instance));

                    case IInvocationOperation { Arguments.Length: 1 } getReference when getReference.TargetMethod.Name == "GetReference"
                        && SymbolEqualityComparer.Default.Equals(getReference.TargetMethod.ContainingType, apis.MemoryMarshal):
                        return ClassifySpanSource(getReference.Arguments[0].Value, pinnedObjectHeap);

                    default:
                        return null;
                }
            }

            return null;
        }

        /// <summary><c>MemoryMarshal.GetReference(x.AsSpan())</c> over an array or a string.</summary>
        private static Movable? ClassifySpanSource(IOperation span, PinnedObjectHeap pinnedObjectHeap)
        {
            span = span.WalkDownConversions()!;
            if (span is IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" } asSpan)
            {
                var source = asSpan.Instance ?? (asSpan.Arguments.Length > 0 ? asSpan.Arguments[0].Value : null);
                var type = source.WalkDownConversions()?.Type;
                if (type?.SpecialType == SpecialType.System_String)
                {
                    return new Movable("string data", OwnerOf(source));
                }

                if (type is IArrayTypeSymbol && !pinnedObjectHeap.Holds(source, method: null))
                {
                    return new Movable("array data", OwnerOf(source));
                }
            }

            return null;
        }

        private static Movable? ClassifyField(IFieldReferenceOperation field, PinnedObjectHeap pinnedObjectHeap)
        {
            if (field.Field.IsStatic || field.Field.IsFixedSizeBuffer)
            {
                return null;
            }

            // Walk out through fields of structs to the object that holds them.
            IOperation? instance = field.Instance;
            while (instance is IFieldReferenceOperation outer && outer.Type?.IsValueType == true)
            {
                if (outer.Field.IsStatic)
                {
                    return null;
                }

                instance = outer.Instance;
            }

            if (instance?.Type is { IsReferenceType: true } type && type.TypeKind is TypeKind.Class or TypeKind.Array)
            {
                return new Movable($"field '{field.Field.Name}' of a class", OwnerOf(instance));
            }

            if (instance is IArrayElementReferenceOperation element && !pinnedObjectHeap.Holds(element.ArrayReference, method: null))
            {
                // A field of a struct stored in an array: inside the array object.
                return new Movable($"field '{field.Field.Name}' of an array element", OwnerOf(element.ArrayReference));
            }

            return null;
        }

        private static bool IsRefPassThrough(IMethodSymbol method, PinApis apis)
            => SymbolEqualityComparer.Default.Equals(method.ContainingType, apis.Unsafe)
               && method.Name is "As" or "Add" or "AddByteOffset" or "Subtract" or "SubtractByteOffset" or "AsRef"
               && method.Parameters.Length > 0 && method.Parameters[0].RefKind != RefKind.None;

        private static ISymbol? OwnerOf(IOperation? operation)
            => operation.WalkDownConversions() is IInstanceReferenceOperation instance ? instance.Type : operation.ReferencedSymbol();

        /// <summary>True when an enclosing <c>fixed</c> statement pins the same object (<paramref name="owner"/>).</summary>
        private static bool PinnedByFixed(SyntaxNode node, ISymbol? owner, SemanticModel? model, System.Threading.CancellationToken cancellationToken)
        {
            if (owner is null || model is null)
            {
                return false;
            }

            for (var current = node.Parent; current is not null; current = current.Parent)
            {
                if (current is not FixedStatementSyntax statement)
                {
                    continue;
                }

                foreach (var variable in statement.Declaration.Variables)
                {
                    if (variable.Initializer is { } initializer && PinsOwner(initializer.Value, owner, model, cancellationToken))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        private static bool PinsOwner(ExpressionSyntax pinned, ISymbol owner, SemanticModel model, System.Threading.CancellationToken cancellationToken)
            => SymbolEqualityComparer.Default.Equals(PinnedObject(pinned, model, cancellationToken), owner);

        /// <summary>
        /// The object a fixed initializer pins: <c>arr</c> for <c>arr</c>, <c>&amp;arr[i]</c>; the holder of a struct field
        /// for <c>&amp;obj.field</c>; the containing type (standing for <c>this</c>) for <c>&amp;_field</c> of this object.
        /// </summary>
        private static ISymbol? PinnedObject(ExpressionSyntax expression, SemanticModel model, System.Threading.CancellationToken cancellationToken)
        {
            for (var depth = 0; depth < 16; depth++)
            {
                switch (expression)
                {
                    case PrefixUnaryExpressionSyntax unary:
                        expression = unary.Operand;
                        continue;
                    case ParenthesizedExpressionSyntax parenthesized:
                        expression = parenthesized.Expression;
                        continue;
                    case CastExpressionSyntax cast:
                        expression = cast.Expression;
                        continue;
                    case ElementAccessExpressionSyntax element:
                        expression = element.Expression;
                        continue;
                    case ThisExpressionSyntax:
                        return model.GetTypeInfo(expression, cancellationToken).Type;
                    case MemberAccessExpressionSyntax member:
                        if (model.GetSymbolInfo(member, cancellationToken).Symbol is IFieldSymbol { IsStatic: false, Type.IsValueType: true })
                        {
                            // A struct field lives inside its holder: the holder is what is pinned.
                            expression = member.Expression;
                            continue;
                        }

                        return model.GetSymbolInfo(member, cancellationToken).Symbol;
                    case IdentifierNameSyntax identifier:
                        {
                            var symbol = model.GetSymbolInfo(identifier, cancellationToken).Symbol;
                            return symbol is IFieldSymbol { IsStatic: false, Type.IsValueType: true } field ? field.ContainingType : symbol;
                        }

                    default:
                        return null;
                }
            }

            return null;
        }
    }
}
