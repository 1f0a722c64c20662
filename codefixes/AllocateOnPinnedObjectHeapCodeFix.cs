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
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1001 "Allocate on the Pinned Object Heap": a pinned handle kept in a field over an array created with
    /// <c>new T[n]</c> becomes the array itself, allocated with <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> and kept
    /// in a field; the handle, its address calls and its release go away. See docs/rules/PIN1001.md.
    /// </summary>
    /// <remarks>
    /// <c>GC.AllocateArray</c> does not keep the array alive — the handle did. So the array always ends up in a field
    /// of the same object (static for a static handle), assigned where the handle was: the existing array field, or
    /// a new private one. The fix is offered only when the handle field is private, its type has one declaration in
    /// this document, and every use of the field is one the fix can rewrite (the pin, the address, the release,
    /// <c>IsAllocated</c>, a reset to <c>default</c>).
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AllocateOnPinnedObjectHeapCodeFix)), Shared]
    public sealed class AllocateOnPinnedObjectHeapCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1001.PinnedObjectHeap";

        private const string Title = "Allocate the buffer on the Pinned Object Heap";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        /// <summary>Marks the fully qualified type names whose namespaces the fix imports.</summary>
        private static readonly SyntaxAnnotation ImportAnnotation = new("PinAnalyzers.Import");

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN1001PinnedHandleOutlivesMethod.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create(Title, _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
                }
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || PinApis.Create(model.Compilation) is not { } apis)
            {
                return null;
            }

            if (model.GetOperation(pin, cancellationToken) is not { } operation
                || HandlePinSites.Find(operation, apis) is not { Kind: PinKind.GCHandle or PinKind.TypedHandle } site)
            {
                return null;
            }

            var plan = new Planner(model, apis, site, cancellationToken).Plan(pin, root);
            if (plan is null)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            plan.Apply(editor);

            // GC and Marshal are written fully qualified: import their namespaces here (the code action's cleanup
            // does not in every host), and the cleanup's simplifier shortens the names.
            var changed = document.WithSyntaxRoot(editor.GetChangedRoot());
            changed = await ImportAdder.AddImportsAsync(changed, ImportAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary>Where the pinned array comes from.</summary>
        private enum ArraySource
        {
            /// <summary><c>GCHandle.Alloc(new T[n], ...)</c>: a new field holds the array.</summary>
            Inline,

            /// <summary><c>var a = new T[n]; ... GCHandle.Alloc(a, ...)</c>: a new field holds the array.</summary>
            Local,

            /// <summary><c>GCHandle.Alloc(_field, ...)</c>, every assignment of <c>_field</c> a <c>new T[n]</c>: the field already holds it.</summary>
            Field,
        }

        /// <summary>The checks, then the edits of one fix.</summary>
        private sealed class Planner
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly PinSite _site;
            private readonly CancellationToken _cancellationToken;

            internal Planner(SemanticModel model, PinApis apis, PinSite site, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _site = site;
                _cancellationToken = cancellationToken;
            }

            internal Plan? Plan(ExpressionSyntax pin, SyntaxNode root)
            {
                var compilation = _model.Compilation;
                var marshal = compilation.GetTypeByMetadataName("System.Runtime.InteropServices.Marshal");
                var intType = compilation.GetSpecialType(SpecialType.System_Int32);
                if (_apis.GC is not { } gc
                    || !_apis.GCAllocateArray.Any(m => m.Name == "AllocateArray")
                    || marshal is null
                    || marshal.GetMembers("UnsafeAddrOfPinnedArrayElement").IsEmpty)
                {
                    return null;
                }

                // The handle field, and where the pin is stored into it.
                var value = PinFixes.WalkUpParentheses(pin);
                IFieldSymbol? handleField;
                AssignmentExpressionSyntax? pinAssignment = null;
                switch (value.Parent)
                {
                    case AssignmentExpressionSyntax assignment
                        when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == value
                            && (assignment.Parent is ExpressionStatementSyntax || (assignment.Parent is ArrowExpressionClauseSyntax arrow && HandleFieldUses.IsVoidBody(_model, arrow, _cancellationToken))):
                        handleField = HandleFieldUses.FieldNamedBy(_model, assignment.Left, _cancellationToken);
                        pinAssignment = assignment;
                        break;
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }:
                        handleField = _model.GetDeclaredSymbol(declarator, _cancellationToken) as IFieldSymbol;
                        break;
                    default:
                        return null;
                }

                if (handleField is null
                    || HandleKind.For(_site.Kind) is not { } handleKind
                    || HandleFieldUses.Classify(_model, _apis, handleKind, handleField, root.SyntaxTree, _cancellationToken) is not { } uses)
                {
                    return null;
                }

                var typeDeclaration = uses.TypeDeclaration;

                // The pinned array: an unmanaged-element array created with new T[n].
                var target = _site.Target.WalkDownConversions();
                if (target?.Type is not IArrayTypeSymbol { IsSZArray: true } arrayType || !arrayType.ElementType.IsUnmanagedType)
                {
                    return null;
                }

                var plan = new Plan(this, handleField, uses.Declarator, uses.Declaration, typeDeclaration, arrayType, gc, marshal, value, pinAssignment);
                switch (target)
                {
                    case IArrayCreationOperation { Syntax: ArrayCreationExpressionSyntax creation } when IsPlainCreation(creation, arrayType, intType):
                        plan.Source = ArraySource.Inline;
                        plan.Creations.Add(creation);
                        break;

                    case ILocalReferenceOperation local when pinAssignment is not null:
                        if (LocalCreation(local.Local, typeDeclaration, arrayType, intType) is not { } localCreation)
                        {
                            return null;
                        }

                        plan.Source = ArraySource.Local;
                        plan.Local = local.Local;
                        plan.Creations.Add(localCreation);
                        break;

                    case IFieldReferenceOperation { Instance: null or IInstanceReferenceOperation } field:
                        if (!FieldCreations(field.Field, handleField, typeDeclaration, arrayType, intType, plan.Creations))
                        {
                            return null;
                        }

                        plan.Source = ArraySource.Field;
                        plan.ArrayField = field.Field;
                        break;

                    default:
                        return null;
                }

                return CollectHandleUses(plan, uses) ? plan : null;
            }

            internal SemanticModel Model => _model;

            internal PinKind Kind => _site.Kind;

            internal CancellationToken CancellationToken => _cancellationToken;

            /// <summary><c>new T[n]</c> with no initializer, <c>n</c> an <c>int</c> (what <c>GC.AllocateArray</c> takes).</summary>
            private bool IsPlainCreation(ExpressionSyntax? expression, IArrayTypeSymbol arrayType, ITypeSymbol intType)
            {
                if (expression is not ArrayCreationExpressionSyntax { Initializer: null, Type.RankSpecifiers: { Count: 1 } ranks } creation
                    || ranks[0].Sizes.Count != 1
                    || ranks[0].Sizes[0] is OmittedArraySizeExpressionSyntax)
                {
                    return false;
                }

                return SymbolEqualityComparer.Default.Equals(_model.GetTypeInfo(creation, _cancellationToken).Type, arrayType)
                    && _model.ClassifyConversion(ranks[0].Sizes[0], intType).IsImplicit;
            }

            /// <summary>The <c>new T[n]</c> a local is initialized with, when that is the only value it ever holds.</summary>
            private ArrayCreationExpressionSyntax? LocalCreation(ILocalSymbol local, TypeDeclarationSyntax typeDeclaration, IArrayTypeSymbol arrayType, ITypeSymbol intType)
            {
                if (local.IsRef
                    || local.DeclaringSyntaxReferences.Length != 1
                    || local.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax { Initializer.Value: var initializer } declarator
                    || declarator.Parent?.Parent is not LocalDeclarationStatementSyntax { IsConst: false } declaration
                    || !declaration.UsingKeyword.IsKind(SyntaxKind.None)
                    || !IsPlainCreation(initializer, arrayType, intType))
                {
                    return null;
                }

                foreach (var identifier in HandleFieldUses.References(_model, typeDeclaration, local, _cancellationToken))
                {
                    if (HandleFieldUses.IsWrite(identifier))
                    {
                        return null;
                    }
                }

                return (ArrayCreationExpressionSyntax)initializer;
            }

            /// <summary>
            /// For an array field: every assignment in the type is a <c>new T[n]</c>, in its initializer or a constructor
            /// (so the array the handle pinned stays the one the field holds). Collects those creations.
            /// </summary>
            private bool FieldCreations(IFieldSymbol field, IFieldSymbol handleField, TypeDeclarationSyntax typeDeclaration, IArrayTypeSymbol arrayType, ITypeSymbol intType, List<ArrayCreationExpressionSyntax> creations)
            {
                if (!SymbolEqualityComparer.Default.Equals(field.ContainingType.OriginalDefinition, handleField.ContainingType.OriginalDefinition)
                    || field.IsStatic != handleField.IsStatic
                    || !(field.IsReadOnly || field.DeclaredAccessibility == Accessibility.Private)
                    || field.DeclaringSyntaxReferences.Length != 1
                    || field.DeclaringSyntaxReferences[0].GetSyntax(_cancellationToken) is not VariableDeclaratorSyntax declarator)
                {
                    return false;
                }

                if (declarator.Initializer is { } initializer)
                {
                    if (!IsPlainCreation(initializer.Value, arrayType, intType))
                    {
                        return false;
                    }

                    creations.Add((ArrayCreationExpressionSyntax)initializer.Value);
                }

                foreach (var identifier in HandleFieldUses.References(_model, typeDeclaration, field, _cancellationToken))
                {
                    if (!PinFixes.IsTrivialReceiver(identifier))
                    {
                        return false;
                    }

                    var reference = PinFixes.ReferenceExpression(identifier);
                    if (reference.Parent is AssignmentExpressionSyntax assignment && assignment.Left == reference)
                    {
                        if (!assignment.IsKind(SyntaxKind.SimpleAssignmentExpression)
                            || !IsPlainCreation(assignment.Right, arrayType, intType)
                            || !InConstructorOf(assignment, field.IsStatic, typeDeclaration))
                        {
                            return false;
                        }

                        creations.Add((ArrayCreationExpressionSyntax)assignment.Right);
                    }
                    else if (HandleFieldUses.IsWrite(reference))
                    {
                        return false;
                    }
                }

                return creations.Count > 0;
            }

            /// <summary>
            /// Every use of the handle field in the type must be one the fix rewrites (the pin, the address, the release,
            /// <c>IsAllocated</c>, a reset to <c>default</c>); records them in <paramref name="plan"/>.
            /// </summary>
            private bool CollectHandleUses(Plan plan, HandleFieldUses uses)
            {
                // The diagnosed pin is the only one stored into the field.
                if ((plan.PinAssignment is null ? uses.Pins.Count != 0 : uses.Pins.Count != 1 || uses.Pins[0].Assignment != plan.PinAssignment)
                    || (uses.Declarator.Initializer is { } initializer && initializer.Value != plan.PinValue && !HandleFieldUses.IsReset(initializer.Value)))
                {
                    return false;
                }

                foreach (var reset in uses.Resets)
                {
                    if (reset.Parent is not ExpressionStatementSyntax statement)
                    {
                        return false;
                    }

                    plan.Removals.Add(statement);
                }

                var allocatedReads = new List<ExpressionSyntax>();
                foreach (var use in uses.Members)
                {
                    switch (use.Kind)
                    {
                        case HandleMemberKind.Address:
                            plan.AddressCalls.Add(use.Node);
                            break;
                        case HandleMemberKind.Release when use.Node.Parent is ExpressionStatementSyntax release:
                            plan.Removals.Add(release);
                            break;
                        case HandleMemberKind.Release when use.Node.Parent is ArrowExpressionClauseSyntax arrow && HandleFieldUses.IsVoidBody(_model, arrow, _cancellationToken):
                            plan.EmptiedBodies.Add(arrow);
                            break;
                        case HandleMemberKind.IsPinned:
                            allocatedReads.Add(use.Node);
                            break;
                        default:
                            return false;
                    }
                }

                // A guard whose body only releases or resets the handle goes with what it guards.
                foreach (var guard in uses.Guards)
                {
                    if (guard.Body.All(plan.Removals.Contains))
                    {
                        plan.Removals.Add(guard.Statement);
                    }
                }

                plan.Removals.RemoveWhere(statement => statement.Ancestors().Any(a => a is StatementSyntax s && plan.Removals.Contains(s)));
                plan.AllocatedReads.AddRange(allocatedReads.Where(read => !read.Ancestors().Any(a => a is StatementSyntax s && plan.Removals.Contains(s))));
                return true;
            }

            /// <summary>True when <paramref name="node"/> runs in a constructor of the type (static or not, as asked), outside lambdas.</summary>
            internal static bool InConstructorOf(SyntaxNode node, bool isStatic, TypeDeclarationSyntax typeDeclaration)
            {
                foreach (var ancestor in node.Ancestors())
                {
                    switch (ancestor)
                    {
                        case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax:
                            return false;
                        case ConstructorDeclarationSyntax constructor:
                            return constructor.Parent == typeDeclaration && constructor.Modifiers.Any(SyntaxKind.StaticKeyword) == isStatic;
                        case MemberDeclarationSyntax:
                            return false;
                    }
                }

                return false;
            }
        }

        /// <summary>The edits of one fix, decided by <see cref="Planner"/>.</summary>
        private sealed class Plan
        {
            private readonly Planner _planner;
            private readonly IArrayTypeSymbol _arrayType;
            private readonly INamedTypeSymbol _gc;
            private readonly INamedTypeSymbol _marshal;
            private readonly HashSet<SyntaxNode> _replaced = new();

            internal Plan(
                Planner planner,
                IFieldSymbol handleField,
                VariableDeclaratorSyntax handleDeclarator,
                FieldDeclarationSyntax handleDeclaration,
                TypeDeclarationSyntax typeDeclaration,
                IArrayTypeSymbol arrayType,
                INamedTypeSymbol gc,
                INamedTypeSymbol marshal,
                ExpressionSyntax pinValue,
                AssignmentExpressionSyntax? pinAssignment)
            {
                _planner = planner;
                HandleField = handleField;
                HandleDeclarator = handleDeclarator;
                HandleDeclaration = handleDeclaration;
                TypeDeclaration = typeDeclaration;
                _arrayType = arrayType;
                _gc = gc;
                _marshal = marshal;
                PinValue = pinValue;
                PinAssignment = pinAssignment;
            }

            internal IFieldSymbol HandleField { get; }

            internal VariableDeclaratorSyntax HandleDeclarator { get; }

            internal FieldDeclarationSyntax HandleDeclaration { get; }

            internal TypeDeclarationSyntax TypeDeclaration { get; }

            /// <summary>The pin call, with any parentheses around it.</summary>
            internal ExpressionSyntax PinValue { get; }

            /// <summary><c>_handle = pin</c> (a statement or an expression body), or null when the pin is the field's initializer.</summary>
            internal AssignmentExpressionSyntax? PinAssignment { get; }

            internal ArraySource Source { get; set; }

            internal ILocalSymbol? Local { get; set; }

            internal IFieldSymbol? ArrayField { get; set; }

            /// <summary>The <c>new T[n]</c> that become <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c>.</summary>
            internal List<ArrayCreationExpressionSyntax> Creations { get; } = new();

            internal HashSet<StatementSyntax> Removals { get; } = new();

            internal List<ExpressionSyntax> AddressCalls { get; } = new();

            /// <summary>Expression bodies that only released or pinned the handle: they become <c>{ }</c>.</summary>
            internal List<ArrowExpressionClauseSyntax> EmptiedBodies { get; } = new();

            internal List<ExpressionSyntax> AllocatedReads { get; } = new();

            private SemanticModel Model => _planner.Model;

            internal void Apply(DocumentEditor editor)
            {
                var isStatic = HandleField.IsStatic;
                string arrayName;
                var nullable = false;
                if (Source == ArraySource.Field)
                {
                    arrayName = ArrayField!.Name;
                    nullable = ArrayField.NullableAnnotation == NullableAnnotation.Annotated;
                }
                else
                {
                    arrayName = NewFieldName();
                    var isReadOnly = PinAssignment is null || Planner.InConstructorOf(PinAssignment, isStatic, TypeDeclaration);
                    nullable = Model.GetNullableContext(HandleDeclaration.SpanStart).AnnotationsEnabled() && !AssignedByEveryConstructor(isReadOnly);
                    editor.InsertBefore(HandleDeclaration, NewField(arrayName, isStatic, isReadOnly, nullable));
                }

                // The handle field goes.
                if (HandleDeclaration.Declaration.Variables.Count == 1)
                {
                    editor.RemoveNode(HandleDeclaration);
                }
                else
                {
                    editor.RemoveNode(HandleDeclarator);
                }

                // The pin: the array is stored where the handle was.
                if (PinAssignment is { } assignment)
                {
                    switch (Source)
                    {
                        case ArraySource.Inline:
                            editor.ReplaceNode(assignment, assignment.WithLeft(FieldReference(arrayName, assignment.SpanStart)).WithRight(Allocation(Creations[0])));
                            _replaced.Add(Creations[0]);
                            break;
                        case ArraySource.Local:
                            editor.ReplaceNode(assignment, assignment.WithLeft(FieldReference(arrayName, assignment.SpanStart)).WithRight(IdentifierName(Local!.Name).WithTriviaFrom(assignment.Right)));
                            break;
                        default:
                            if (assignment.Parent is ExpressionStatementSyntax pinStatement)
                            {
                                Removals.Add(pinStatement);
                            }
                            else if (assignment.Parent is ArrowExpressionClauseSyntax arrow)
                            {
                                EmptiedBodies.Add(arrow);
                            }

                            break;
                    }
                }
                else if (Source == ArraySource.Inline)
                {
                    // The creation was the handle's initializer, which goes with the handle field.
                    _replaced.Add(Creations[0]);
                }

                foreach (var creation in Creations)
                {
                    if (_replaced.Add(creation))
                    {
                        editor.ReplaceNode(creation, Allocation(creation).WithTriviaFrom(creation));
                    }
                }


                foreach (var arrow in EmptiedBodies)
                {
                    var member = arrow.Parent!;
                    SyntaxNode replacement = member switch
                    {
                        ConstructorDeclarationSyntax constructor => constructor.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block()).WithTrailingTrivia(constructor.GetTrailingTrivia()),
                        MethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block()).WithTrailingTrivia(method.GetTrailingTrivia()),
                        LocalFunctionStatementSyntax function => function.WithExpressionBody(null).WithSemicolonToken(default).WithBody(Block()).WithTrailingTrivia(function.GetTrailingTrivia()),
                        _ => member,
                    };
                    editor.ReplaceNode(member, replacement.WithAdditionalAnnotations(Formatter.Annotation));
                }

                foreach (var call in AddressCalls)
                {
                    ExpressionSyntax array = FieldReference(arrayName, call.SpanStart);
                    if (nullable)
                    {
                        array = PostfixUnaryExpression(SyntaxKind.SuppressNullableWarningExpression, array);
                    }

                    ExpressionSyntax address = InvocationExpression(
                        MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, TypeExpression(_marshal), IdentifierName("UnsafeAddrOfPinnedArrayElement")),
                        ArgumentList(SeparatedList(new[] { Argument(array), Argument(LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(0))) })));
                    if (_planner.Kind == PinKind.TypedHandle)
                    {
                        // GetAddressOfArrayData() is a T*.
                        var pointer = PointerType((TypeSyntax)editor.Generator.TypeExpression(_arrayType.ElementType));
                        address = ParenthesizedExpression(CastExpression(pointer, address)).WithAdditionalAnnotations(Simplifier.Annotation);
                    }

                    editor.ReplaceNode(call, address.WithTriviaFrom(call));
                }

                foreach (var read in AllocatedReads)
                {
                    // h.IsAllocated is "the array is there"; !h.IsAllocated is "it is not".
                    var array = FieldReference(arrayName, read.SpanStart);
                    var negated = read.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression };
                    SyntaxNode replaced = negated ? read.Parent! : read;
                    var isPattern = PinFixes.LanguageVersionOf(read) >= LanguageVersion.CSharp9;
                    var nullLiteral = LiteralExpression(SyntaxKind.NullLiteralExpression);
                    ExpressionSyntax allocated = (negated, isPattern) switch
                    {
                        (false, true) => IsPatternExpression(array, UnaryPattern(ConstantPattern(nullLiteral))),
                        (true, true) => IsPatternExpression(array, ConstantPattern(nullLiteral)),
                        (false, false) => BinaryExpression(SyntaxKind.NotEqualsExpression, array, nullLiteral),
                        _ => BinaryExpression(SyntaxKind.EqualsExpression, array, nullLiteral),
                    };
                    editor.ReplaceNode(replaced, ParenthesizedExpression(allocated).WithTriviaFrom(replaced).WithAdditionalAnnotations(Simplifier.Annotation));
                }

                RemoveStatements(editor);
            }

            /// <summary>
            /// Removes the statements of <see cref="Removals"/>, last of all: a block loses them by position (edits inside
            /// its other statements leave the positions as they were), an embedded statement becomes an empty block.
            /// Removing by hand keeps the layout: a node removal leaves elastic trivia that the cleanup reformats.
            /// </summary>
            private void RemoveStatements(DocumentEditor editor)
            {
                foreach (var group in Removals.GroupBy(s => s.Parent))
                {
                    switch (group.Key)
                    {
                        case BlockSyntax block:
                            var indexes = new HashSet<int>(group.Select(s => block.Statements.IndexOf(s)));
                            editor.ReplaceNode(block, (current, _) =>
                            {
                                var currentBlock = (BlockSyntax)current;
                                var kept = currentBlock.Statements.Where((_, i) => !indexes.Contains(i));
                                return currentBlock.WithStatements(List(kept));
                            });
                            break;

                        case SwitchSectionSyntax section:
                            var sectionIndexes = new HashSet<int>(group.Select(s => section.Statements.IndexOf(s)));
                            editor.ReplaceNode(section, (current, _) =>
                            {
                                var currentSection = (SwitchSectionSyntax)current;
                                var kept = currentSection.Statements.Where((_, i) => !sectionIndexes.Contains(i)).ToList();
                                return currentSection.WithStatements(List<StatementSyntax>(kept.Count == 0 ? new StatementSyntax[] { BreakStatement() } : kept));
                            });
                            break;

                        default:
                            foreach (var statement in group)
                            {
                                editor.ReplaceNode(statement, Block().WithTriviaFrom(statement).WithAdditionalAnnotations(Formatter.Annotation));
                            }

                            break;
                    }
                }
            }

            /// <summary><c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> for <c>new T[n]</c>.</summary>
            private ExpressionSyntax Allocation(ArrayCreationExpressionSyntax creation)
            {
                var elementType = creation.Type.ElementType.WithoutTrivia();
                var size = creation.Type.RankSpecifiers[0].Sizes[0].WithoutTrivia();
                return InvocationExpression(
                    MemberAccessExpression(
                        SyntaxKind.SimpleMemberAccessExpression,
                        TypeExpression(_gc),
                        GenericName(Identifier("AllocateArray"), TypeArgumentList(SingletonSeparatedList(elementType)))),
                    ArgumentList(SeparatedList(new[]
                    {
                        Argument(size),
                        Argument(NameColon(IdentifierName("pinned")), default, LiteralExpression(SyntaxKind.TrueLiteralExpression)),
                    })));
            }

            /// <summary>The type, fully qualified: its namespace is imported, then the simplifier shortens the name.</summary>
            private static ExpressionSyntax TypeExpression(INamedTypeSymbol type)
                => ParseName(type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)).WithAdditionalAnnotations(Simplifier.Annotation, ImportAnnotation);

            /// <summary>The array field at <paramref name="position"/>: <c>this.</c>-qualified when a local or parameter hides it.</summary>
            private ExpressionSyntax FieldReference(string name, int position)
            {
                var hidden = Model.LookupSymbols(position, name: name).Any(s => s is ILocalSymbol or IParameterSymbol or IRangeVariableSymbol);
                if (!hidden)
                {
                    return IdentifierName(name);
                }

                ExpressionSyntax owner = HandleField.IsStatic ? IdentifierName(HandleField.ContainingType.Name) : ThisExpression();
                return MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, owner, IdentifierName(name));
            }

            private FieldDeclarationSyntax NewField(string name, bool isStatic, bool isReadOnly, bool nullable)
            {
                var modifiers = new List<SyntaxToken> { Token(SyntaxKind.PrivateKeyword) };
                if (isStatic)
                {
                    modifiers.Add(Token(SyntaxKind.StaticKeyword));
                }

                if (isReadOnly)
                {
                    modifiers.Add(Token(SyntaxKind.ReadOnlyKeyword));
                }

                var elementType = Creations[0].Type.ElementType.WithoutTrivia();
                TypeSyntax arrayType = ArrayType(elementType, SingletonList(ArrayRankSpecifier(SingletonSeparatedList<ExpressionSyntax>(OmittedArraySizeExpression()))));
                if (nullable)
                {
                    arrayType = NullableType(arrayType);
                }

                var declarator = VariableDeclarator(Identifier(name));
                if (PinAssignment is null)
                {
                    // The handle's initializer pinned the array: the new field's initializer allocates it.
                    declarator = declarator.WithInitializer(EqualsValueClause(Allocation(Creations[0])));
                }

                return FieldDeclaration(VariableDeclaration(arrayType, SingletonSeparatedList(declarator)))
                    .WithModifiers(TokenList(modifiers))
                    .WithLeadingTrivia(HandleDeclaration.GetLeadingTrivia().Where(t => !t.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) && !t.IsKind(SyntaxKind.MultiLineDocumentationCommentTrivia)))
                    .WithAdditionalAnnotations(Formatter.Annotation);
            }

            /// <summary>A unique name for the new array field, in the naming style of the handle field.</summary>
            private string NewFieldName()
            {
                var handleName = HandleField.Name;
                var prefix = handleName.StartsWith("s_", System.StringComparison.Ordinal) ? "s_"
                    : handleName.StartsWith("m_", System.StringComparison.Ordinal) ? "m_"
                    : handleName.StartsWith("_", System.StringComparison.Ordinal) ? "_"
                    : string.Empty;
                var stem = prefix.Length == 0 ? "pinnedBuffer" : prefix + "pinnedBuffer";
                var name = stem;
                for (var i = 2; IsTaken(name); i++)
                {
                    name = stem + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                return name;
            }

            private bool IsTaken(string name)
            {
                for (var type = HandleField.ContainingType; type is not null; type = type.BaseType)
                {
                    if (!type.GetMembers(name).IsEmpty || type.TypeParameters.Any(p => p.Name == name))
                    {
                        return true;
                    }
                }

                return HandleField.ContainingType.Name == name;
            }

            /// <summary>
            /// The new field is definitely assigned when the handle was set in its initializer, or at the top of the
            /// constructor that every other constructor chains to with <c>this(...)</c>: then it need not be nullable.
            /// </summary>
            private bool AssignedByEveryConstructor(bool isReadOnly)
            {
                if (PinAssignment is null)
                {
                    return true;
                }

                var pinConstructor = PinAssignment.Parent switch
                {
                    ExpressionStatementSyntax { Parent: BlockSyntax { Parent: ConstructorDeclarationSyntax constructor } } => constructor,
                    ArrowExpressionClauseSyntax { Parent: ConstructorDeclarationSyntax constructor } => constructor,
                    _ => null,
                };
                if (!isReadOnly || pinConstructor is null)
                {
                    return false;
                }

                var isStatic = HandleField.IsStatic;
                foreach (var constructor in TypeDeclaration.Members.OfType<ConstructorDeclarationSyntax>())
                {
                    if (constructor == pinConstructor || constructor.Modifiers.Any(SyntaxKind.StaticKeyword) != isStatic)
                    {
                        continue;
                    }

                    if (constructor.Initializer is not { RawKind: (int)SyntaxKind.ThisConstructorInitializer })
                    {
                        return false;
                    }
                }

                return true;
            }
        }
    }
}
