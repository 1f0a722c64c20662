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
using Microsoft.CodeAnalysis.Simplification;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1001 "Convert to a revocable PinLease": a pinned handle kept in a private field becomes a
    /// <c>PinAnalyzers.Leases.PinLease&lt;T&gt;</c> in the same field, so the pin is charged to a budget and its owner can
    /// revoke it. See docs/rules/PIN1001.md and docs/leases.md.
    /// </summary>
    /// <remarks>
    /// <para>What converts to what is data in <see cref="LeaseConversions"/>; this class is the engine. It is offered only
    /// when the compilation references the lease library, the field is private in a non-partial class, every pin stored
    /// in the field is an assignment statement the fix can rewrite, and every other use of the field is in the
    /// conversion's member table (or a reset to <c>default</c>).</para>
    /// <para>Each pin becomes a local lease, a registration on its <c>RevocationRequested</c> token, then the store into the
    /// field. The registration disposes that very lease (captured in the local, so a later reassignment or reset of the
    /// field cannot redirect it) after a TODO where the holder must stop native use. Disposing is what lets a
    /// <c>RevokeAsync</c> finish (it waits for the open scopes and the holder's <c>Dispose</c>); for a holder whose address
    /// went to native code it is only correct once the TODO is done. The fix keeps the lease private, so nothing can revoke
    /// it until the user hands it to an owner: until then the code behaves as before (the default budget only counts).</para>
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ConvertToPinLeaseCodeFix)), Shared]
    public sealed class ConvertToPinLeaseCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1001.ConvertToLease";

        internal const string Title = "Convert to a revocable PinLease";

        /// <summary>The same conversion for a <c>MemoryHandle</c> field (PIN3001).</summary>
        public const string MemoryEquivalenceKey = "PIN3001.ConvertToLease";

        internal const string MemoryTitle = "Convert to a revocable lease";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        /// <summary>Marks the lease type names whose namespace the fix imports.</summary>
        private static readonly SyntaxAnnotation s_importAnnotation = new("PinAnalyzers.ImportLeases");

        /// <summary>Marks the <c>!</c> the fix adds after a nullable lease field.</summary>
        private static readonly SyntaxAnnotation s_suppressionAnnotation = new("PinAnalyzers.LeaseSuppression");

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = LeaseConversions.All.Select(c => c.DiagnosticId).Distinct().ToImmutableArray();

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var document = context.Document;
            var root = await document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null)
            {
                return;
            }

            foreach (var diagnostic in context.Diagnostics)
            {
                if (PinFixes.FindPin(root, diagnostic.Location.SourceSpan) is not { } pin
                    || await PlanAsync(document, root, pin, context.CancellationToken).ConfigureAwait(false) is not { } plan
                    || plan.Conversion.DiagnosticId != diagnostic.Id)
                {
                    continue;
                }

                var span = diagnostic.Location.SourceSpan;
                context.RegisterCodeFix(
                    CodeAction.Create(
                        plan.Conversion.Title,
                        async cancellationToken => await PinFixes.FixOneAsync(document, span, RewriteAsync, cancellationToken).ConfigureAwait(false) ?? document,
                        plan.Conversion.EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            if (await PlanAsync(document, root, pin, cancellationToken).ConfigureAwait(false) is not { } plan)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            plan.Apply(editor);
            var changed = editor.GetChangedDocument();
            if (plan.ImportLeases)
            {
                // The code action's cleanup (Simplifier.AddImportsAnnotation) left this namespace unimported in the tests
                // (Workspaces 4.14), so the fix adds the directive itself with the syntax-based import adder.
                changed = await ImportAdder.AddImportsAsync(changed, s_importAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            if (plan.Annotate)
            {
                changed = await DropNeedlessSuppressionsAsync(changed, cancellationToken).ConfigureAwait(false);
            }

            changed = await LeaseScopes.WrapAsync(changed, cancellationToken).ConfigureAwait(false);
            return await changed.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        }

        /// <summary><c>_f!.Address</c> becomes <c>_f.Address</c> where the compiler knows <c>_f</c> is not null (after the store, after a guard).</summary>
        private static async Task<Document> DropNeedlessSuppressionsAsync(Document document, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var needless = root.GetAnnotatedNodes(s_suppressionAnnotation)
                .OfType<PostfixUnaryExpressionSyntax>()
                .Where(s => model.GetTypeInfo(s.Operand, cancellationToken).Nullability.FlowState == NullableFlowState.NotNull)
                .ToList();
            var cleaned = root.ReplaceNodes(root.GetAnnotatedNodes(s_suppressionAnnotation), (original, current) =>
                needless.Contains(original) && current is PostfixUnaryExpressionSyntax suppression
                    ? suppression.Operand.WithTriviaFrom(suppression)
                    : current.WithoutAnnotations(s_suppressionAnnotation));
            return document.WithSyntaxRoot(cleaned);
        }

        private static async Task<Plan?> PlanAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null
                || PinApis.Create(model.Compilation) is not { } apis
                || model.GetOperation(pin, cancellationToken) is not { } operation
                || HandlePinSites.Find(operation, apis) is not { } site
                || LeaseConversions.For(site.Kind) is not { } conversion
                || model.Compilation.GetTypeByMetadataName(conversion.LeaseTypeMetadataName) is not { DeclaredAccessibility: Accessibility.Public } leaseDefinition)
            {
                return null;
            }

            return new Planner(model, apis, conversion, leaseDefinition, cancellationToken).Plan(pin, root);
        }

        /// <summary><c>_field = pin</c>, where it sits, and the lease it becomes.</summary>
        private sealed class PinAssignment
        {
            internal PinAssignment(HandleFieldPin pin, LeaseAcquisition acquisition)
            {
                Pin = pin;
                Acquisition = acquisition;
            }

            internal HandleFieldPin Pin { get; }

            internal AssignmentExpressionSyntax Assignment => Pin.Assignment;

            /// <summary>The expression statement, or for <see cref="PinStorePlacement.ArrowBody"/> the member.</summary>
            internal SyntaxNode Holder => Pin.Holder;

            internal PinStorePlacement Placement => Pin.Placement;

            internal LeaseAcquisition Acquisition { get; }

            internal string LocalName { get; set; } = string.Empty;
        }

        /// <summary>The checks of one fix; the result is a <see cref="Plan"/> or null (no fix).</summary>
        private sealed class Planner
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly LeaseConversion _conversion;
            private readonly INamedTypeSymbol _leaseDefinition;
            private readonly CancellationToken _cancellationToken;

            internal Planner(SemanticModel model, PinApis apis, LeaseConversion conversion, INamedTypeSymbol leaseDefinition, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _conversion = conversion;
                _leaseDefinition = leaseDefinition;
                _cancellationToken = cancellationToken;
            }

            internal Plan? Plan(ExpressionSyntax pin, SyntaxNode root)
            {
                // The handle field the pin is stored into: `_f = pin;` or `this._f = pin;`.
                var value = PinFixes.WalkUpParentheses(pin);
                if (value.Parent is not AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.SimpleAssignmentExpression } assignment
                    || assignment.Right != value
                    || HandleFieldUses.FieldNamedBy(_model, assignment.Left, _cancellationToken) is not { } field
                    || field.IsVolatile
                    || HandleFieldUses.Classify(_model, _apis, _conversion.Handle, field, root.SyntaxTree, _cancellationToken) is not { } uses)
                {
                    return null;
                }

                // One declarator (the field keeps its declaration, with another type), no initializer but a reset, in a
                // class whose every part is here.
                var typeDeclaration = uses.TypeDeclaration;
                if (uses.Declaration.Declaration.Variables.Count != 1
                    || (uses.Declarator.Initializer is { } initializer && !HandleFieldUses.IsReset(initializer.Value))
                    || field.ContainingType.TypeKind != TypeKind.Class
                    || typeDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    return null;
                }

                var plan = new Plan(_model, _conversion, uses);
                if (!CollectUses(plan, uses) || !plan.Pins.Any(p => p.Assignment == assignment))
                {
                    return null;
                }

                // One lease type for the field, and a lease type that has what the rewrite calls.
                var leaseType = plan.Pins[0].Acquisition.LeaseType;
                if (plan.Pins.Any(p => !SymbolEqualityComparer.Default.Equals(p.Acquisition.LeaseType, leaseType))
                    || !HasMembers(leaseType, plan))
                {
                    return null;
                }

                plan.LeaseType = leaseType;
                plan.MayBeNull = plan.Resets.Count > 0 || !plan.Pins.Any(p => AssignsInEveryConstructor(p, field, typeDeclaration));
                plan.Annotate = plan.MayBeNull && _model.GetNullableContext(uses.Declaration.SpanStart).AnnotationsEnabled();
                plan.ImportLeases = CanImport(leaseType.ContainingNamespace, root);
                NameLocals(plan);
                return plan;
            }

            /// <summary>No simple name in the document means a type that a using directive for <paramref name="ns"/> could shadow or make ambiguous.</summary>
            private bool CanImport(INamespaceSymbol ns, SyntaxNode root)
            {
                var types = ns.GetTypeMembers().Where(t => t.DeclaredAccessibility == Accessibility.Public).ToList();
                var names = new HashSet<string>(types.Select(t => t.Name));
                foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
                {
                    if (names.Contains(name.Identifier.ValueText)
                        && _model.GetSymbolInfo(name, _cancellationToken).Symbol is INamedTypeSymbol named
                        && !SymbolEqualityComparer.Default.Equals(named.ContainingNamespace, ns))
                    {
                        return false;
                    }
                }

                return true;
            }

            /// <summary>
            /// The classified uses as edits: each pin a statement the fix can turn into three with the lease it acquires,
            /// each reset a statement, the guards whose body becomes a null-safe release.
            /// </summary>
            private bool CollectUses(Plan plan, HandleFieldUses uses)
            {
                foreach (var pin in uses.Pins)
                {
                    // A field initializer has no statement to register after; an assignment inside an expression has no
                    // place for the lease local.
                    if (pin.Placement == PinStorePlacement.Other
                        || _conversion.Acquisition(pin.Site, _leaseDefinition, _model, _cancellationToken) is not { } acquisition)
                    {
                        return false;
                    }

                    plan.Pins.Add(new PinAssignment(pin, acquisition));
                }

                if (uses.Resets.Any(r => r.Parent is not ExpressionStatementSyntax))
                {
                    return false;
                }

                plan.Resets.AddRange(uses.Resets);
                plan.Uses.AddRange(uses.Members);

                // `if (h.IsAllocated) { h.Free(); h = default; }` (no comments) is just its body: Dispose may be called twice,
                // and `?.` covers a field that is null. A body of several statements needs a list to stand in.
                foreach (var guard in uses.Guards)
                {
                    if (guard.HasComments || (guard.Body.Count > 1 && guard.Statement.Parent is not (BlockSyntax or SwitchSectionSyntax)))
                    {
                        continue;
                    }

                    plan.Guards.Add(guard);
                    plan.Uses.Remove(guard.Condition);
                    foreach (var release in guard.Releases)
                    {
                        plan.Uses.Remove(release);
                    }
                }

                return true;
            }

            /// <summary>The lease has the acquisition methods, the revocation token and every member the rewrite uses.</summary>
            private static bool HasMembers(INamedTypeSymbol leaseType, Plan plan)
            {
                var needed = new HashSet<string> { "RevocationRequested", "Dispose", "IsPinned" };
                needed.UnionWith(plan.Uses.Select(u => u.Mapping.LeaseMember));
                foreach (var name in needed)
                {
                    if (!leaseType.GetMembers(name).Any(m => !m.IsStatic && m.DeclaredAccessibility == Accessibility.Public))
                    {
                        return false;
                    }
                }

                return plan.Pins.All(p => leaseType.GetMembers(p.Acquisition.Method).Any(m => m is IMethodSymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public }));
            }

            /// <summary>
            /// The field holds a lease once the object is constructed: a pin is a top-level statement of a constructor that
            /// does not return early, and every other constructor chains to another with <c>this(...)</c>.
            /// </summary>
            private bool AssignsInEveryConstructor(PinAssignment pin, IFieldSymbol field, TypeDeclarationSyntax typeDeclaration)
            {
                var constructor = pin.Placement switch
                {
                    PinStorePlacement.InList when pin.Holder.Parent is BlockSyntax { Parent: ConstructorDeclarationSyntax inBody } => inBody,
                    PinStorePlacement.ArrowBody when pin.Holder is ConstructorDeclarationSyntax arrowBodied => arrowBodied,
                    _ => null,
                };
                var isStatic = field.IsStatic;
                if (constructor is null
                    || constructor.Parent != typeDeclaration
                    || constructor.Modifiers.Any(SyntaxKind.StaticKeyword) != isStatic
                    || constructor.Body?.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<ReturnStatementSyntax>().Any() == true)
                {
                    return false;
                }

                // A primary constructor does not assign the field, and every other constructor goes through it.
                if (!isStatic && field.ContainingType.InstanceConstructors.Any(c => c.DeclaringSyntaxReferences.Any(r => r.GetSyntax(_cancellationToken) is TypeDeclarationSyntax)))
                {
                    return false;
                }

                return typeDeclaration.Members.OfType<ConstructorDeclarationSyntax>()
                    .Where(c => c != constructor && c.Modifiers.Any(SyntaxKind.StaticKeyword) == isStatic)
                    .All(c => c.Initializer is { RawKind: (int)SyntaxKind.ThisConstructorInitializer });
            }

            /// <summary>A local for each pin's lease, named after the field (<c>_handle</c> → <c>lease</c>, <c>_send</c> → <c>sendLease</c>).</summary>
            private void NameLocals(Plan plan)
            {
                var chosenIn = new Dictionary<SyntaxNode, HashSet<string>>();
                foreach (var pin in plan.Pins)
                {
                    var member = pin.Holder.AncestorsAndSelf().FirstOrDefault(a => a is MemberDeclarationSyntax and not BaseTypeDeclarationSyntax) ?? pin.Holder;
                    if (!chosenIn.TryGetValue(member, out var chosen))
                    {
                        chosenIn.Add(member, chosen = new HashSet<string>());
                    }

                    pin.LocalName = RevocationRegistration.LocalName(_model, pin.Holder, plan.Field.Name, chosen);
                }
            }
        }

        /// <summary>The edits of one fix, decided by <see cref="Planner"/>.</summary>
        private sealed class Plan
        {
            private readonly SemanticModel _model;

            internal Plan(SemanticModel model, LeaseConversion conversion, HandleFieldUses uses)
            {
                _model = model;
                Conversion = conversion;
                Field = uses.Field;
                FieldDeclaration = uses.Declaration;
                Declarator = uses.Declarator;
                TypeDeclaration = uses.TypeDeclaration;
            }

            internal LeaseConversion Conversion { get; }

            internal IFieldSymbol Field { get; }

            internal FieldDeclarationSyntax FieldDeclaration { get; }

            internal VariableDeclaratorSyntax Declarator { get; }

            internal TypeDeclarationSyntax TypeDeclaration { get; }

            internal List<PinAssignment> Pins { get; } = new();

            /// <summary><c>_f = default</c> statements: they become <c>_f = null</c>.</summary>
            internal List<AssignmentExpressionSyntax> Resets { get; } = new();

            internal List<HandleFieldMemberUse> Uses { get; } = new();

            internal List<HandleFieldGuard> Guards { get; } = new();

            internal INamedTypeSymbol LeaseType { get; set; } = null!;

            /// <summary>The field can be null when read: not set by every constructor, or reset.</summary>
            internal bool MayBeNull { get; set; }

            /// <summary>The field's type gets a <c>?</c> (it may be null and nullable annotations are on).</summary>
            internal bool Annotate { get; set; }

            /// <summary>
            /// Add a using directive for the lease namespace: false when a simple name in the document already means
            /// another type of the same name as one of the namespace's, which the directive could make ambiguous (then
            /// the lease type stays qualified).
            /// </summary>
            internal bool ImportLeases { get; set; }

            internal void Apply(DocumentEditor editor)
            {
                var oldType = FieldDeclaration.Declaration.Type;
                var fieldType = LeaseTypeSyntax(editor.Generator);
                editor.ReplaceNode(oldType, (Annotate ? NullableType(fieldType) : fieldType).WithTriviaFrom(oldType));
                if (Declarator.Initializer is not null)
                {
                    editor.ReplaceNode(Declarator, Declarator.WithInitializer(null).WithIdentifier(Declarator.Identifier.WithTrailingTrivia()));
                }

                foreach (var pin in Pins)
                {
                    ReplacePin(editor, pin);
                }

                var guardedResets = new HashSet<AssignmentExpressionSyntax>(Guards.SelectMany(g => g.Resets));
                foreach (var reset in Resets.Where(r => !guardedResets.Contains(r)))
                {
                    editor.ReplaceNode(reset.Right, LiteralExpression(SyntaxKind.NullLiteralExpression).WithTriviaFrom(reset.Right));
                }

                foreach (var use in Uses)
                {
                    var (replaced, replacement) = Rewrite(use, editor.Generator);
                    editor.ReplaceNode(replaced, replacement.WithTriviaFrom(replaced).WithAdditionalAnnotations(Formatter.Annotation));
                }

                foreach (var guard in Guards)
                {
                    var body = guard.Body.Select(statement => guard.ReleaseIn(statement) is { } release
                        ? ExpressionStatement(Release(release.Reference))
                        : statement is ExpressionStatementSyntax { Expression: AssignmentExpressionSyntax reset }
                            ? ExpressionStatement(reset.WithoutTrivia().WithRight(LiteralExpression(SyntaxKind.NullLiteralExpression)))
                            : statement.WithoutTrivia()).ToList();
                    body[0] = body[0].WithLeadingTrivia(guard.Statement.GetLeadingTrivia());
                    body[body.Count - 1] = body[body.Count - 1].WithTrailingTrivia(guard.Statement.GetTrailingTrivia());
                    if (body.Count > 1)
                    {
                        editor.InsertAfter(guard.Statement, body.Skip(1).Select(b => b.WithAdditionalAnnotations(Formatter.Annotation)));
                    }

                    editor.ReplaceNode(guard.Statement, body[0].WithAdditionalAnnotations(Formatter.Annotation));
                }
            }

            /// <summary><c>_f = pin;</c> becomes the acquisition, its revocation registration and the store (<see cref="RevocationRegistration"/>).</summary>
            private void ReplacePin(DocumentEditor editor, PinAssignment pin)
            {
                var acquire = InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, LeaseTypeSyntax(editor.Generator), IdentifierName(pin.Acquisition.Method)),
                    ArgumentList(SingletonSeparatedList(Argument(pin.Acquisition.Argument.WithoutTrivia()))));
                RevocationRegistration.Replace(editor, pin.Assignment, pin.Holder, pin.Placement, acquire, pin.LocalName, Conversion.ResourceNoun);
            }

            /// <summary>What a use of the handle becomes, and the node it replaces.</summary>
            private (SyntaxNode Replaced, ExpressionSyntax Replacement) Rewrite(HandleFieldMemberUse use, SyntaxGenerator generator)
            {
                var lease = Receiver(use.Reference);
                switch (use.Mapping.Kind)
                {
                    case HandleMemberKind.Address:
                        // Marked for LeaseScopes, which moves the reads that stay in the method into Enter() scopes.
                        ExpressionSyntax address = Member(lease, "Address").WithAdditionalAnnotations(LeaseScopes.NewReadAnnotation());
                        if (_model.GetTypeInfo(use.Node).Type is IPointerTypeSymbol pointer)
                        {
                            // GetAddressOfArrayData() was a T*; Address is an IntPtr.
                            var pointerType = (TypeSyntax)generator.TypeExpression(pointer);
                            address = ParenthesizedExpression(CastExpression(pointerType, address)).WithAdditionalAnnotations(Simplifier.Annotation);
                        }

                        return (use.Node, address);

                    case HandleMemberKind.Release:
                        return (use.Node, Release(use.Reference));

                    case HandleMemberKind.Array:
                        ExpressionSyntax array = Member(lease, "Array");
                        if (_model.GetTypeInfo(use.Node).Type is { IsReferenceType: true, NullableAnnotation: NullableAnnotation.NotAnnotated }
                            && _model.GetNullableContext(use.Node.SpanStart).WarningsEnabled())
                        {
                            // PinnedGCHandle<T[]>.Target is a T[]; the lease of an array always has it.
                            array = PostfixUnaryExpression(SyntaxKind.SuppressNullableWarningExpression, array);
                        }

                        return (use.Node, array);

                    default:
                        var negated = use.Node.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.LogicalNotExpression };
                        var replaced = negated ? use.Node.Parent! : use.Node;
                        return (replaced, ParenthesizedExpression(IsPinned(use.Reference.WithoutTrivia(), negated, use.Node)).WithAdditionalAnnotations(Simplifier.Annotation));
                }
            }

            /// <summary><c>lease.IsPinned</c>, or for a field that may be null <c>lease is { IsPinned: true }</c> (older C#: <c>lease != null &amp;&amp; lease.IsPinned</c>).</summary>
            private ExpressionSyntax IsPinned(ExpressionSyntax lease, bool negated, SyntaxNode at)
            {
                ExpressionSyntax pinned;
                if (!MayBeNull)
                {
                    pinned = Member(lease, "IsPinned");
                }
                else if (PinFixes.LanguageVersionOf(at) >= LanguageVersion.CSharp8)
                {
                    var pattern = RecursivePattern(
                        null,
                        null,
                        PropertyPatternClause(SingletonSeparatedList(Subpattern(NameColon(IdentifierName("IsPinned")), ConstantPattern(LiteralExpression(SyntaxKind.TrueLiteralExpression))))),
                        null);
                    if (negated && PinFixes.LanguageVersionOf(at) >= LanguageVersion.CSharp9)
                    {
                        return IsPatternExpression(lease, UnaryPattern(Token(SyntaxKind.NotKeyword), pattern));
                    }

                    pinned = IsPatternExpression(lease, pattern);
                }
                else
                {
                    pinned = BinaryExpression(
                        SyntaxKind.LogicalAndExpression,
                        BinaryExpression(SyntaxKind.NotEqualsExpression, lease, LiteralExpression(SyntaxKind.NullLiteralExpression)),
                        Member(lease, "IsPinned"));
                }

                return negated ? PrefixUnaryExpression(SyntaxKind.LogicalNotExpression, ParenthesizedExpression(pinned).WithAdditionalAnnotations(Simplifier.Annotation)) : pinned;
            }

            /// <summary><c>lease.Dispose()</c>, or <c>lease?.Dispose()</c> when the field may be null.</summary>
            private ExpressionSyntax Release(ExpressionSyntax reference)
                => MayBeNull
                    ? ConditionalAccessExpression(reference.WithoutTrivia(), InvocationExpression(MemberBindingExpression(IdentifierName("Dispose"))))
                    : InvocationExpression(Member(reference.WithoutTrivia(), "Dispose"));

            /// <summary>
            /// The field as the receiver of a lease member: <c>_f!</c> when its type is annotated (<see cref="DropNeedlessSuppressionsAsync"/>
            /// removes the <c>!</c> where the compiler knows the field is not null).
            /// </summary>
            private ExpressionSyntax Receiver(ExpressionSyntax reference)
                => Annotate
                    ? PostfixUnaryExpression(SyntaxKind.SuppressNullableWarningExpression, reference.WithoutTrivia()).WithAdditionalAnnotations(s_suppressionAnnotation)
                    : reference.WithoutTrivia();

            private static MemberAccessExpressionSyntax Member(ExpressionSyntax receiver, string name)
                => MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, receiver, IdentifierName(name));

            /// <summary>The lease type, fully qualified and annotated for the cleanup to import its namespace and shorten it.</summary>
            private TypeSyntax LeaseTypeSyntax(SyntaxGenerator generator)
            {
                var type = (TypeSyntax)generator.TypeExpression(LeaseType, addImport: true);
                return ImportLeases ? type.WithAdditionalAnnotations(s_importAnnotation) : type;
            }
        }
    }
}
