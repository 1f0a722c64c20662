using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using Microsoft.CodeAnalysis.Text;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN3001 "Use pinned memory" and PIN2002 "Allocate on the Pinned Object Heap": the memory that is pinned — an
    /// array field, or a <c>Memory&lt;T&gt;</c> field over an array — is created with <c>new T[n]</c> in the same type, so it
    /// can be created on the Pinned Object Heap instead, where it never moves: <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c>
    /// for the array, <c>MemoryMarshal.CreateFromPinnedArray(GC.AllocateArray&lt;T&gt;(n, pinned: true), 0, n)</c> for the
    /// memory. See docs/rules/PIN3001.md and PIN2002.md.
    /// </summary>
    /// <remarks>
    /// <para>The pin itself stays. On memory made by <c>CreateFromPinnedArray</c>, <c>Pin()</c> takes no <c>GCHandle</c>: its
    /// <c>MemoryHandle</c> only carries the pointer, and its <c>Dispose</c> is trivially correct; a <c>fixed</c> over a POH
    /// array pins nothing that could move. The analyzers treat both as POH pins (DESIGN.md): the field becomes
    /// <c>readonly</c>, which is what lets them prove every assignment is a POH allocation.</para>
    /// <para>Offered only when the field is private, declared alone, of an unmanaged element type (the POH takes no
    /// references), every write of it is an initializer or a plain assignment in a constructor of its type — in this
    /// document — of <c>new T[n]</c> (for memory also <c>new Memory&lt;T&gt;(new T[n])</c>), and, for memory, <c>n</c> can be
    /// read twice (a constant, a local, a parameter or a field).</para>
    /// <para>The pin site of a PIN2002 diagnostic (reported on the argument) is found by asking the pin-flow engine which
    /// pin of the method reaches that argument.</para>
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UsePinnedMemoryCodeFix)), Shared]
    public sealed class UsePinnedMemoryCodeFix : CodeFixProvider
    {
        public const string MemoryEquivalenceKey = "PIN3001.UsePinnedMemory";

        public const string RetainedEquivalenceKey = "PIN2002.PinnedObjectHeap";

        private const string MemoryTitle = "Use pinned memory";

        private const string RetainedTitle = "Allocate on the Pinned Object Heap";

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
            Descriptors.PIN3001MemoryHandleOutlivesMethod.Id,
            Descriptors.PIN2002PointerPassedToRetainingCall.Id);

        // Each fix rewrites the creations of one field; two diagnostics over one field give the same edit, which the
        // batch fixer's merge keeps once.
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                if (await PlanAsync(context.Document, diagnostic.Id, diagnostic.Location.SourceSpan, context.CancellationToken).ConfigureAwait(false) is not { } plan)
                {
                    continue;
                }

                var isMemory = diagnostic.Id == Descriptors.PIN3001MemoryHandleOutlivesMethod.Id;
                var id = diagnostic.Id;
                var span = diagnostic.Location.SourceSpan;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        isMemory ? MemoryTitle : RetainedTitle,
                        async cancellationToken => await RewriteAsync(context.Document, id, span, cancellationToken).ConfigureAwait(false) ?? context.Document,
                        isMemory ? MemoryEquivalenceKey : RetainedEquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> RewriteAsync(Document document, string id, TextSpan span, CancellationToken cancellationToken)
        {
            if (await PlanAsync(document, id, span, cancellationToken).ConfigureAwait(false) is not { } plan)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            plan.Apply(editor);
            return editor.GetChangedDocument();
        }

        private static async Task<Plan?> PlanAsync(Document document, string id, TextSpan span, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !root.FullSpan.Contains(span)
                || PinApis.Create(model.Compilation) is not { } apis
                || apis.GC is null
                || !apis.GCAllocateArray.Any(m => m.Name == "AllocateArray" && m.Parameters.Length == 2))
            {
                return null;
            }

            var node = root.FindNode(span, getInnermostNodeForTie: true);
            PinSite? site = id == Descriptors.PIN3001MemoryHandleOutlivesMethod.Id
                ? (PinFixes.FindPin(root, span) is { } pin && model.GetOperation(pin, cancellationToken) is { } operation ? HandlePinSites.FindMemoryPin(operation, apis) : null)
                : RetainedSite(model, apis, document, node, span, cancellationToken);
            if (site is null || TargetField(site.Target) is not { } field)
            {
                return null;
            }

            return new Planner(model, apis, cancellationToken).Plan(field, root.SyntaxTree);
        }

        /// <summary>The pin of the method whose value reaches the retaining call at <paramref name="span"/>, as the engine follows it.</summary>
        internal static PinSite? RetainedSite(SemanticModel model, PinApis apis, Document document, SyntaxNode node, TextSpan span, CancellationToken cancellationToken)
        {
            var body = node.AncestorsAndSelf().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax);
            var member = node.AncestorsAndSelf().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax);
            if (body is null || member is null || model.GetOperation(member, cancellationToken) is not { } rootOperation)
            {
                return null;
            }

            var options = new PinFlowOptions.Provider(document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider).For(model.SyntaxTree);
            var method = new MethodFlow(new[] { rootOperation }, block => Graph(block, cancellationToken), cancellationToken);
            foreach (var operation in rootOperation.Descendants())
            {
                var site = operation is IVariableDeclaratorOperation declarator ? PinSite.ForFixed(declarator) : HandlePinSites.Find(operation, apis);
                if (site is null)
                {
                    continue;
                }

                var fate = PinFlow.Follow(site, method, apis, options);
                if (fate.Sinks.Any(s => s.Kind == PinSinkKind.RetainingCall && s.Operation.Syntax.Span == span))
                {
                    return site;
                }
            }

            return null;
        }

        private static ControlFlowGraph? Graph(IOperation block, CancellationToken cancellationToken)
            => block switch
            {
                IMethodBodyOperation body => ControlFlowGraph.Create(body, cancellationToken),
                IConstructorBodyOperation constructor => ControlFlowGraph.Create(constructor, cancellationToken),
                IBlockOperation { Parent: null } blockOperation => ControlFlowGraph.Create(blockOperation, cancellationToken),
                _ => null,
            };

        /// <summary>The field of this object (or a static field) that the pinned object is, or is a view of.</summary>
        private static IFieldSymbol? TargetField(IOperation? target)
        {
            for (var depth = 0; target is not null && depth < 8; depth++)
            {
                target = target.WalkDownConversions();
                switch (target)
                {
                    case { Kind: OperationKind.None } when target.ChildOperations.Count == 1:
                        target = target.ChildOperations.First();
                        break;
                    case IAddressOfOperation addressOf:
                        target = addressOf.Reference;
                        break;
                    case IArrayElementReferenceOperation element:
                        target = element.ArrayReference;
                        break;
                    case IInvocationOperation { TargetMethod.Name: "AsSpan" or "AsMemory" } view:
                        target = view.Instance ?? (view.Arguments.Length > 0 ? view.Arguments[0].Value : null);
                        break;
                    case IInvocationOperation { TargetMethod.Name: "Slice", Instance: { } sliced }:
                        target = sliced;
                        break;
                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        return field.Field;
                    default:
                        return null;
                }
            }

            return null;
        }

        private sealed class Planner
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly CancellationToken _cancellationToken;

            internal Planner(SemanticModel model, PinApis apis, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _cancellationToken = cancellationToken;
            }

            internal Plan? Plan(IFieldSymbol field, SyntaxTree tree)
            {
                var memory = _model.Compilation.GetTypeByMetadataName("System.Memory`1");
                var readOnlyMemory = _model.Compilation.GetTypeByMetadataName("System.ReadOnlyMemory`1");
                ITypeSymbol? element = field.Type switch
                {
                    IArrayTypeSymbol { IsSZArray: true } array => array.ElementType,
                    INamedTypeSymbol { TypeArguments.Length: 1 } named when SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, memory)
                        || SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, readOnlyMemory) => named.TypeArguments[0],
                    _ => null,
                };
                var isMemory = field.Type is not IArrayTypeSymbol;
                if (element is not { IsUnmanagedType: true }
                    || element is ITypeParameterSymbol
                    || field.DeclaredAccessibility != Accessibility.Private
                    || field.IsConst
                    || field.IsVolatile
                    || field.DeclaringSyntaxReferences.Length != 1
                    || field.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Parent: FieldDeclarationSyntax declaration } } declarator
                    || declarator.SyntaxTree != tree
                    || declaration.Declaration.Variables.Count != 1
                    || (isMemory && _apis.CreateFromPinnedArray is null))
                {
                    return null;
                }

                var plan = new Plan(_model, _apis.GC!, field, declaration, element, isMemory);
                if (declarator.Initializer is { } initializer)
                {
                    if (Creation(initializer.Value, element, isMemory) is not { } creation)
                    {
                        return null;
                    }

                    plan.Creations.Add((initializer.Value, creation));
                }

                var type = field.ContainingType;
                foreach (var reference in type.DeclaringSyntaxReferences)
                {
                    var typeDeclaration = reference.GetSyntax(_cancellationToken);
                    if (typeDeclaration.SyntaxTree != tree)
                    {
                        return null;
                    }

                    foreach (var identifier in HandleFieldUses.References(_model, typeDeclaration, field, _cancellationToken))
                    {
                        var expression = PinFixes.ReferenceExpression(identifier);
                        if (!HandleFieldUses.IsWrite(expression))
                        {
                            continue;
                        }

                        if (expression.Parent is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment
                            || !PinFixes.IsTrivialReceiver(identifier)
                            || !InConstructor(assignment, field.IsStatic, type)
                            || Creation(assignment.Right, element, isMemory) is not { } creation)
                        {
                            return null;
                        }

                        plan.Creations.Add((assignment.Right, creation));
                    }
                }

                return plan.Creations.Count > 0 ? plan : null;
            }

            /// <summary>The <c>new T[n]</c> a value is, or (for memory) wraps; null when it is anything else or <c>n</c> cannot be read twice.</summary>
            private ArrayCreationExpressionSyntax? Creation(ExpressionSyntax value, ITypeSymbol element, bool isMemory)
            {
                while (value is ParenthesizedExpressionSyntax parenthesized)
                {
                    value = parenthesized.Expression;
                }

                if (isMemory && value is ObjectCreationExpressionSyntax { ArgumentList.Arguments.Count: 1, Initializer: null } wrapper
                    && _model.GetTypeInfo(wrapper, _cancellationToken).Type is INamedTypeSymbol { Name: "Memory" or "ReadOnlyMemory" })
                {
                    value = wrapper.ArgumentList!.Arguments[0].Expression;
                }

                if (value is not ArrayCreationExpressionSyntax { Initializer: null, Type.RankSpecifiers: { Count: 1 } ranks } creation
                    || ranks[0].Sizes is not { Count: 1 } sizes
                    || sizes[0] is OmittedArraySizeExpressionSyntax
                    || _model.GetTypeInfo(creation, _cancellationToken).Type is not IArrayTypeSymbol created
                    || !SymbolEqualityComparer.Default.Equals(created.ElementType, element)
                    || !_model.ClassifyConversion(sizes[0], _model.Compilation.GetSpecialType(SpecialType.System_Int32)).IsImplicit)
                {
                    return null;
                }

                return !isMemory || CanReadTwice(sizes[0]) ? creation : null;
            }

            private bool CanReadTwice(ExpressionSyntax size)
                => _model.GetConstantValue(size, _cancellationToken).HasValue
                    || (size is IdentifierNameSyntax && _model.GetSymbolInfo(size, _cancellationToken).Symbol is ILocalSymbol or IParameterSymbol or IFieldSymbol);

            /// <summary>A plain statement of a constructor of the field's type (not a lambda or local function in it).</summary>
            private static bool InConstructor(SyntaxNode node, bool isStatic, INamedTypeSymbol type)
            {
                foreach (var ancestor in node.Ancestors())
                {
                    switch (ancestor)
                    {
                        case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                            return false;
                        case ConstructorDeclarationSyntax constructor:
                            return constructor.Modifiers.Any(SyntaxKind.StaticKeyword) == isStatic
                                && constructor.Parent is TypeDeclarationSyntax { Identifier.ValueText: var name } && name == type.Name;
                        case MemberDeclarationSyntax:
                            return false;
                    }
                }

                return false;
            }
        }

        private sealed class Plan
        {
            private readonly SemanticModel _model;
            private readonly INamedTypeSymbol _gc;
            private readonly IFieldSymbol _field;
            private readonly FieldDeclarationSyntax _declaration;
            private readonly ITypeSymbol _element;
            private readonly bool _isMemory;

            internal Plan(SemanticModel model, INamedTypeSymbol gc, IFieldSymbol field, FieldDeclarationSyntax declaration, ITypeSymbol element, bool isMemory)
            {
                _model = model;
                _gc = gc;
                _field = field;
                _declaration = declaration;
                _element = element;
                _isMemory = isMemory;
            }

            /// <summary>Each value stored into the field and the <c>new T[n]</c> it is or wraps.</summary>
            internal List<(ExpressionSyntax Value, ArrayCreationExpressionSyntax Creation)> Creations { get; } = new();

            internal void Apply(DocumentEditor editor)
            {
                var generator = editor.Generator;
                foreach (var (value, creation) in Creations)
                {
                    var size = creation.Type.RankSpecifiers[0].Sizes[0].WithoutTrivia();
                    var elementType = (TypeSyntax)generator.TypeExpression(_element);
                    ExpressionSyntax allocation = InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, TypeOf(generator, _gc), GenericName(Identifier("AllocateArray"), TypeArgumentList(SingletonSeparatedList(elementType)))),
                        ArgumentList(SeparatedList(new[]
                        {
                            Argument(size),
                            Argument(LiteralExpression(SyntaxKind.TrueLiteralExpression)).WithNameColon(NameColon(IdentifierName("pinned"))),
                        })));
                    if (_isMemory)
                    {
                        var marshal = _model.Compilation.GetTypeByMetadataName("System.Runtime.InteropServices.MemoryMarshal")!;
                        allocation = InvocationExpression(
                            MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, TypeOf(generator, marshal), IdentifierName("CreateFromPinnedArray")),
                            ArgumentList(SeparatedList(new[]
                            {
                                Argument(allocation),
                                Argument(LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))),
                                Argument(size),
                            })));
                    }

                    editor.ReplaceNode(value, allocation.WithTriviaFrom(value).WithAdditionalAnnotations(Formatter.Annotation));
                }

                if (!_field.IsReadOnly)
                {
                    // The analyzers prove a field holds POH memory only when it is readonly (DESIGN.md).
                    editor.SetModifiers(_declaration, editor.Generator.GetModifiers(_declaration).WithIsReadOnly(true));
                }
            }

            private static ExpressionSyntax TypeOf(SyntaxGenerator generator, INamedTypeSymbol type)
                => ((ExpressionSyntax)generator.TypeExpression(type)).WithAdditionalAnnotations(Simplifier.Annotation);
        }
    }
}
