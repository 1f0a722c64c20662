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
    /// PIN4001 "Convert to a revocable lease": a <c>byte*</c> field filled in the constructor by
    /// <c>view.SafeMemoryMappedViewHandle.AcquirePointer(ref _p)</c> and handed to a retaining call (an <c>ibv_reg_mr</c>
    /// registration) becomes a <c>PinAnalyzers.Leases.MappedViewLease</c> in the same field, acquired with
    /// <c>MappedViewLease.Acquire(view)</c> and registered on <c>RevocationRequested</c> (the shape of
    /// <see cref="RevocationRegistration"/>), so the owner of the DAX file can revoke it before a truncate. See
    /// docs/rules/PIN4001.md.
    /// </summary>
    /// <remarks>
    /// <para>The site is the pin the engine says reaches the retaining call: a read of a pointer field whose writes are a
    /// view's address (<see cref="MappedViewSites"/>). Every use of the field in its type must be in the table:</para>
    /// <list type="bullet">
    /// <item><c>V.SafeMemoryMappedViewHandle.AcquirePointer(ref _p);</c>, a top-level statement of a constructor that every
    /// other constructor chains to, on a <c>MemoryMappedViewAccessor</c> V: the acquisition (so the field is never null
    /// after construction);</item>
    /// <item>a bare read of <c>_p</c>, and <c>_p + V.PointerOffset</c>: <c>(byte*)_p.Address</c> (the lease's address is
    /// already offset by <c>PointerOffset</c>);</item>
    /// <item><c>V.SafeMemoryMappedViewHandle.ReleasePointer();</c>: <c>_p.Dispose()</c>.</item>
    /// </list>
    /// <para>Anything else — another write of the field (a libpmem <c>pmem_map_file</c> mapping, which has no accessor to
    /// lease, a reset, <c>_p += offset</c>), <c>&amp;_p</c>, a null test (<c>_p != null</c>, whose <c>Address</c> would throw once
    /// the lease is disposed), a read before the acquisition in its constructor, another <c>AcquirePointer</c> on V's handle, a release in an
    /// expression — means no offer. The reads that stay in their method are then moved into <c>Enter()</c> scopes
    /// (<see cref="LeaseScopes"/>, which opens a <c>MappedViewScope</c>).</para>
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MappedViewLeaseCodeFix)), Shared]
    public sealed class MappedViewLeaseCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN4001.ConvertToLease";

        internal const string Title = "Convert to a revocable lease";

        private const string MappedViewLease = "PinAnalyzers.Leases.MappedViewLease";

        private static readonly SyntaxAnnotation s_importAnnotation = new("PinAnalyzers.ImportLeases");

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN4001MappedViewHandedToNativeCode.Id);

        // Two registrations of one field have two diagnostics: one site after another, re-reading the document (the
        // second finds the field already a lease and does nothing).
        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateSiteBySiteFixAll(RewriteAsync);

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var span = diagnostic.Location.SourceSpan;
                if (await PlanAsync(context.Document, span, context.CancellationToken).ConfigureAwait(false) is null)
                {
                    continue;
                }

                context.RegisterCodeFix(
                    CodeAction.Create(
                        Title,
                        async cancellationToken => await RewriteAsync(context.Document, span, cancellationToken).ConfigureAwait(false) ?? context.Document,
                        EquivalenceKey),
                    diagnostic);
            }
        }

        private static async Task<Document?> RewriteAsync(Document document, TextSpan span, CancellationToken cancellationToken)
        {
            if (await PlanAsync(document, span, cancellationToken).ConfigureAwait(false) is not { } plan)
            {
                return null;
            }

            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            plan.Apply(editor);
            var changed = editor.GetChangedDocument();
            if (plan.ImportLeases)
            {
                changed = await ImportAdder.AddImportsAsync(changed, s_importAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            return await LeaseScopes.WrapAsync(changed, cancellationToken).ConfigureAwait(false);
        }

        private static async Task<Plan?> PlanAsync(Document document, TextSpan span, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null || !root.FullSpan.Contains(span)
                || PinApis.Create(model.Compilation) is not { } apis
                || MappedViewSites.Create(apis) is not { ViewHandle: { } viewHandle, ViewAccessor: { } accessor } views
                || model.Compilation.GetTypeByMetadataName(MappedViewLease) is not { DeclaredAccessibility: Accessibility.Public } leaseType
                || !HasMembers(leaseType))
            {
                return null;
            }

            var node = root.FindNode(span, getInnermostNodeForTie: true);
            if (RetainedField(model, apis, views, document, node, span, cancellationToken) is not { } field
                || field.IsStatic
                || field.IsVolatile
                || field.DeclaredAccessibility != Accessibility.Private
                || field.Type is not IPointerTypeSymbol { PointedAtType.SpecialType: SpecialType.System_Byte }
                || field.DeclaringSyntaxReferences.Length != 1
                || field.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not VariableDeclaratorSyntax { Initializer: null, Parent: VariableDeclarationSyntax { Variables.Count: 1, Parent: FieldDeclarationSyntax declaration } }
                || declaration.AttributeLists.Count > 0
                || field.ContainingType.TypeKind != TypeKind.Class
                || field.ContainingType.DeclaringSyntaxReferences.Length != 1
                || field.ContainingType.DeclaringSyntaxReferences[0].GetSyntax(cancellationToken) is not TypeDeclarationSyntax typeDeclaration
                || typeDeclaration.SyntaxTree != root.SyntaxTree
                || typeDeclaration.Modifiers.Any(SyntaxKind.PartialKeyword)
                || typeDeclaration.ParameterList is not null)
            {
                return null;
            }

            var plan = new Classifier(model, viewHandle, accessor, field, typeDeclaration, cancellationToken).Run();
            if (plan is null)
            {
                return null;
            }

            plan.LeaseType = leaseType;
            plan.Declaration = declaration;
            plan.ImportLeases = CanImport(model, leaseType.ContainingNamespace, root, cancellationToken);
            plan.LocalName = RevocationRegistration.LocalName(model, plan.PinStatement, field.Name, new HashSet<string>());
            return plan;
        }

        /// <summary>The pointer field whose read, as the engine follows it, reaches the retaining call at <paramref name="span"/>.</summary>
        private static IFieldSymbol? RetainedField(SemanticModel model, PinApis apis, MappedViewSites views, Document document, SyntaxNode node, TextSpan span, CancellationToken cancellationToken)
        {
            var member = node.AncestorsAndSelf().FirstOrDefault(a => a is BaseMethodDeclarationSyntax or AccessorDeclarationSyntax or BasePropertyDeclarationSyntax);
            if (member is null || model.GetOperation(member, cancellationToken) is not { } rootOperation)
            {
                return null;
            }

            var options = new PinFlowOptions.Provider(document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider).For(model.SyntaxTree);
            var method = new MethodFlow(new[] { rootOperation }, block => Graph(block, cancellationToken), cancellationToken);
            foreach (var operation in rootOperation.Descendants())
            {
                if (views.Find(operation) is not { Kind: PinKind.MappedAddress, Operation: IFieldReferenceOperation fieldReference } site)
                {
                    continue;
                }

                var fate = PinFlow.Follow(site, method, apis, options);
                if (fate.Sinks.Any(s => s.Kind == PinSinkKind.RetainingCall && s.Operation.Syntax.Span == span))
                {
                    return fieldReference.Field;
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

        private static bool HasMembers(INamedTypeSymbol leaseType)
        {
            foreach (var name in new[] { "Address", "RevocationRequested", "Dispose", "Enter" })
            {
                if (!leaseType.GetMembers(name).Any(m => !m.IsStatic && m.DeclaredAccessibility == Accessibility.Public))
                {
                    return false;
                }
            }

            return leaseType.GetMembers("Acquire").Any(m => m is IMethodSymbol { IsStatic: true, DeclaredAccessibility: Accessibility.Public, Parameters.Length: >= 1 });
        }

        /// <summary>No simple name in the document means a type that a using directive for <paramref name="ns"/> could shadow or make ambiguous.</summary>
        private static bool CanImport(SemanticModel model, INamespaceSymbol ns, SyntaxNode root, CancellationToken cancellationToken)
        {
            var names = new HashSet<string>(ns.GetTypeMembers().Where(t => t.DeclaredAccessibility == Accessibility.Public).Select(t => t.Name));
            foreach (var name in root.DescendantNodes().OfType<SimpleNameSyntax>())
            {
                if (names.Contains(name.Identifier.ValueText)
                    && model.GetSymbolInfo(name, cancellationToken).Symbol is INamedTypeSymbol named
                    && !SymbolEqualityComparer.Default.Equals(named.ContainingNamespace, ns))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Every use of the pointer field in its type, against the table; null when one is not in it.</summary>
        private sealed class Classifier
        {
            private readonly SemanticModel _model;
            private readonly INamedTypeSymbol _viewHandle;
            private readonly INamedTypeSymbol _accessor;
            private readonly IFieldSymbol _field;
            private readonly TypeDeclarationSyntax _type;
            private readonly CancellationToken _cancellationToken;

            internal Classifier(SemanticModel model, INamedTypeSymbol viewHandle, INamedTypeSymbol accessor, IFieldSymbol field, TypeDeclarationSyntax type, CancellationToken cancellationToken)
            {
                _model = model;
                _viewHandle = viewHandle;
                _accessor = accessor;
                _field = field;
                _type = type;
                _cancellationToken = cancellationToken;
            }

            internal Plan? Run()
            {
                InvocationExpressionSyntax? pin = null;
                ISymbol? view = null;
                var reads = new List<ExpressionSyntax>();
                var offsetReads = new List<(BinaryExpressionSyntax Node, ISymbol? View)>();
                foreach (var identifier in HandleFieldUses.References(_model, _type, _field, _cancellationToken))
                {
                    if (!PinFixes.IsTrivialReceiver(identifier))
                    {
                        return null;
                    }

                    var reference = PinFixes.ReferenceExpression(identifier);
                    if (reference.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } } argument
                        && argument.RefKindKeyword.IsKind(SyntaxKind.RefKeyword))
                    {
                        if (pin is not null || AcquiredView(invocation, "AcquirePointer") is not { } acquired)
                        {
                            return null;
                        }

                        pin = invocation;
                        view = acquired;
                        continue;
                    }

                    if (HandleFieldUses.IsWrite(reference) && reference.Parent is not PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PointerIndirectionExpression })
                    {
                        // Assigned (a libpmem mapping, a reset), incremented, passed by ref or out, its address taken.
                        return null;
                    }

                    if (reference.Parent is PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.AddressOfExpression }
                        || _model.GetOperation(reference, _cancellationToken) is not IFieldReferenceOperation { Parent: not INameOfOperation })
                    {
                        return null;
                    }

                    if (reference.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.EqualsExpression or (int)SyntaxKind.NotEqualsExpression } or IsPatternExpressionSyntax)
                    {
                        // `_p != null` asks whether the pointer is held; `Address` would throw once the lease is disposed.
                        return null;
                    }

                    if (reference.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } add
                        && add.Left == reference
                        && add.Right is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "PointerOffset" } offset
                        && _model.GetSymbolInfo(offset, _cancellationToken).Symbol is IPropertySymbol property
                        && SymbolEqualityComparer.Default.Equals(property.ContainingType, _accessor))
                    {
                        offsetReads.Add((add, ViewSymbol(offset.Expression)));
                        continue;
                    }

                    reads.Add(reference);
                }

                if (pin is null || view is null || !offsetReads.All(o => SymbolEqualityComparer.Default.Equals(o.View, view)))
                {
                    return null;
                }

                // The acquisition: a top-level statement of the constructor every other one chains to.
                if (pin.Parent is not ExpressionStatementSyntax { Parent: BlockSyntax { Parent: ConstructorDeclarationSyntax constructor } } pinStatement
                    || constructor.Parent != _type
                    || constructor.Modifiers.Any(SyntaxKind.StaticKeyword)
                    || constructor.Body!.DescendantNodes(n => n is not (AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax)).OfType<ReturnStatementSyntax>().Any()
                    || !_type.Members.OfType<ConstructorDeclarationSyntax>()
                        .Where(c => c != constructor && !c.Modifiers.Any(SyntaxKind.StaticKeyword))
                        .All(c => c.Initializer is { RawKind: (int)SyntaxKind.ThisConstructorInitializer }))
                {
                    return null;
                }

                // No read before the acquisition in its constructor: the field would still be null there.
                if (reads.Concat(offsetReads.Select(o => (ExpressionSyntax)o.Node)).Any(r => r.SpanStart < pinStatement.SpanStart && r.Ancestors().Contains(constructor)))
                {
                    return null;
                }

                // The releases of the view's pointer: statements, and no other acquisition of that view's pointer.
                var releases = new List<InvocationExpressionSyntax>();
                foreach (var invocation in _type.DescendantNodes().OfType<InvocationExpressionSyntax>())
                {
                    if (invocation == pin || invocation.Expression is not MemberAccessExpressionSyntax { Name.Identifier.ValueText: "AcquirePointer" or "ReleasePointer" } access)
                    {
                        continue;
                    }

                    var name = access.Name.Identifier.ValueText;
                    var released = AcquiredView(invocation, name);
                    if (released is null)
                    {
                        if (IsViewHandle(access.Expression) && HandleOwner(access.Expression) is null)
                        {
                            // A view handle the fix cannot name: it could be this view's.
                            return null;
                        }

                        continue;
                    }

                    if (!SymbolEqualityComparer.Default.Equals(released, view))
                    {
                        continue;
                    }

                    if (name == "AcquirePointer" || invocation.Parent is not ExpressionStatementSyntax)
                    {
                        return null;
                    }

                    releases.Add(invocation);
                }

                var viewExpression = ((MemberAccessExpressionSyntax)((MemberAccessExpressionSyntax)pin.Expression).Expression).Expression;
                return new Plan(_field, _model, pinStatement, viewExpression, reads, offsetReads.Select(o => o.Node).ToList(), releases);
            }

            /// <summary>For <c>V.SafeMemoryMappedViewHandle.<paramref name="method"/>(...)</c> on an accessor V, V's symbol.</summary>
            private ISymbol? AcquiredView(InvocationExpressionSyntax invocation, string method)
            {
                if (invocation.Expression is not MemberAccessExpressionSyntax { Expression: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SafeMemoryMappedViewHandle" } handle } access
                    || access.Name.Identifier.ValueText != method
                    || _model.GetSymbolInfo(invocation, _cancellationToken).Symbol is not IMethodSymbol
                    || !IsViewHandle(handle)
                    || _model.GetTypeInfo(handle.Expression, _cancellationToken).Type is not { } viewType
                    || !SymbolEqualityComparer.Default.Equals(viewType, _accessor))
                {
                    return null;
                }

                return ViewSymbol(handle.Expression);
            }

            /// <summary>The expression is a <c>SafeMemoryMappedViewHandle</c> (whose <c>AcquirePointer</c> is <c>SafeBuffer</c>'s).</summary>
            private bool IsViewHandle(ExpressionSyntax expression)
                => SymbolEqualityComparer.Default.Equals(_model.GetTypeInfo(expression, _cancellationToken).Type, _viewHandle);

            /// <summary>The accessor behind <c>x.SafeMemoryMappedViewHandle</c>, or null for a handle held elsewhere.</summary>
            private ISymbol? HandleOwner(ExpressionSyntax handle)
                => handle is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "SafeMemoryMappedViewHandle" } access ? ViewSymbol(access.Expression) : null;

            /// <summary>The field (of this object), local or parameter an accessor expression names.</summary>
            private ISymbol? ViewSymbol(ExpressionSyntax expression)
            {
                if (expression is not (IdentifierNameSyntax or MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax, Name: IdentifierNameSyntax }))
                {
                    return null;
                }

                return _model.GetSymbolInfo(expression, _cancellationToken).Symbol is { Kind: SymbolKind.Field or SymbolKind.Local or SymbolKind.Parameter } symbol ? symbol : null;
            }
        }

        /// <summary>The edits of one fix.</summary>
        private sealed class Plan
        {
            private readonly IFieldSymbol _field;
            private readonly SemanticModel _model;
            private readonly ExpressionSyntax _view;
            private readonly List<ExpressionSyntax> _reads;
            private readonly List<BinaryExpressionSyntax> _offsetReads;
            private readonly List<InvocationExpressionSyntax> _releases;

            internal Plan(IFieldSymbol field, SemanticModel model, ExpressionStatementSyntax pinStatement, ExpressionSyntax view, List<ExpressionSyntax> reads, List<BinaryExpressionSyntax> offsetReads, List<InvocationExpressionSyntax> releases)
            {
                _field = field;
                _model = model;
                PinStatement = pinStatement;
                _view = view;
                _reads = reads;
                _offsetReads = offsetReads;
                _releases = releases;
            }

            internal ExpressionStatementSyntax PinStatement { get; }

            internal INamedTypeSymbol LeaseType { get; set; } = null!;

            internal FieldDeclarationSyntax Declaration { get; set; } = null!;

            internal bool ImportLeases { get; set; }

            internal string LocalName { get; set; } = string.Empty;

            internal void Apply(DocumentEditor editor)
            {
                var generator = editor.Generator;
                var oldType = Declaration.Declaration.Type;
                editor.ReplaceNode(oldType, LeaseTypeSyntax(generator).WithTriviaFrom(oldType));

                // V.SafeMemoryMappedViewHandle.AcquirePointer(ref _p); becomes the lease, its registration, the store.
                var acquire = InvocationExpression(
                    MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, LeaseTypeSyntax(generator), IdentifierName("Acquire")),
                    ArgumentList(SingletonSeparatedList(Argument(_view.WithoutTrivia()))));
                var (declaration, registration) = RevocationRegistration.AcquireAndRegister(PinStatement, acquire, LocalName, "view");
                var store = ExpressionStatement(AssignmentExpression(SyntaxKind.SimpleAssignmentExpression, FieldReference(PinStatement), IdentifierName(LocalName)));
                editor.InsertBefore(PinStatement, new SyntaxNode[]
                {
                    declaration.WithLeadingTrivia(PinStatement.GetLeadingTrivia()).WithAdditionalAnnotations(Formatter.Annotation),
                    registration.WithAdditionalAnnotations(Formatter.Annotation),
                });
                editor.ReplaceNode(PinStatement, store.WithLeadingTrivia(ElasticMarker).WithTrailingTrivia(PinStatement.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation));

                foreach (var read in _reads)
                {
                    editor.ReplaceNode(read, Address(read, read, generator));
                }

                foreach (var read in _offsetReads)
                {
                    editor.ReplaceNode(read, Address(read, read.Left, generator));
                }

                foreach (var release in _releases)
                {
                    editor.ReplaceNode(release, InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, FieldReference(release), IdentifierName("Dispose")))
                        .WithTriviaFrom(release));
                }
            }

            /// <summary><c>(byte*)_p.Address</c>, the read marked for <see cref="LeaseScopes"/>.</summary>
            private ExpressionSyntax Address(ExpressionSyntax replaced, ExpressionSyntax reference, SyntaxGenerator generator)
            {
                ExpressionSyntax address = MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, reference.WithoutTrivia(), IdentifierName("Address"))
                    .WithAdditionalAnnotations(LeaseScopes.NewReadAnnotation());
                var pointerType = (TypeSyntax)generator.TypeExpression(_field.Type);
                return ParenthesizedExpression(CastExpression(pointerType, address))
                    .WithAdditionalAnnotations(Simplifier.Annotation, Formatter.Annotation)
                    .WithTriviaFrom(replaced);
            }

            /// <summary><c>_p</c>, or <c>this._p</c> where a local or parameter of the same name hides the field.</summary>
            private ExpressionSyntax FieldReference(SyntaxNode at)
            {
                var found = _model.LookupSymbols(at.SpanStart, name: _field.Name);
                return found.Length == 1 && SymbolEqualityComparer.Default.Equals(found[0], _field)
                    ? IdentifierName(_field.Name)
                    : MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, ThisExpression(), IdentifierName(_field.Name));
            }

            private TypeSyntax LeaseTypeSyntax(SyntaxGenerator generator)
            {
                var type = (TypeSyntax)generator.TypeExpression(LeaseType, addImport: true);
                return ImportLeases ? type.WithAdditionalAnnotations(s_importAnnotation) : type;
            }
        }
    }
}
